import { Double, Int32, Long, serialize } from 'bson';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyUpdateDescription } from './apply-update.js';
import { patchInPlace } from './patch-in-place.js';
import type { Doc, Value } from './testing/random-docs.js';
import { Rng, diffDocuments, doc, docBytes, mutateDoc } from './testing/random-docs.js';
import { compileUpdateDescription } from './update-paths.js';

/** A value of the same BSON type and size as `v`, mostly a different one. */
function sameSize(rng: Rng, v: Value): Value | undefined {
  if (v instanceof Int32) return new Int32(rng.int(4));
  if (v instanceof Double) return new Double(rng.int(4) + 0.5);
  if (v instanceof Long) return Long.fromNumber(rng.int(4));
  if (typeof v === 'boolean') return rng.chance(0.5);
  return undefined;
}

/** updatedFields setting some scalar paths of `d` (documents descended, arrays not) to same-size values. */
function sameSizeEdits(rng: Rng, d: Doc, prefix: string, out: Map<string, Value>): void {
  for (const [k, v] of d) {
    if (k.includes('.') || !rng.chance(0.4)) continue;
    if (v instanceof Map) {
      sameSizeEdits(rng, v, `${prefix}${k}.`, out);
      continue;
    }
    const w = sameSize(rng, v);
    if (w !== undefined) out.set(`${prefix}${k}`, w);
  }
}

function check(before: Buffer, ud: Parameters<typeof applyUpdateDescription>[1]): boolean {
  let expected: Buffer | undefined;
  try {
    expected = applyUpdateDescription(before, ud);
  } catch {
    expected = undefined;
  }
  const copy = Buffer.from(before);
  const patched = patchInPlace(copy, 0, compileUpdateDescription(ud));
  // In place or not at all: never a different result, never a change when it declines.
  if (patched) expect(copy.toString('hex')).toBe(expected?.toString('hex'));
  else expect(copy.equals(before)).toBe(true);
  return patched;
}

describe('patchInPlace', () => {
  it('gives exactly what applyUpdateDescription gives, or declines without a change', () => {
    let patchedCount = 0;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rng = new Rng(seed);
        const before = new Map<string, Value>([['_id', new Int32(1)], ...doc(rng, 3, 6)]);
        const edits = new Map<string, Value>();
        sameSizeEdits(rng, before, '', edits);
        const bytes = docBytes(before);
        const same = { updatedFields: Buffer.from(serialize(edits)), removedFields: [], truncatedArrays: [], disambiguatedPaths: null };
        if (check(bytes, same)) patchedCount++;
        const after = mutateDoc(rng, before, 3, '_id');
        check(bytes, diffDocuments(rng, before, after));
      }),
      { numRuns: 2000 },
    );
    expect(patchedCount).toBeGreaterThan(200);
  });
});

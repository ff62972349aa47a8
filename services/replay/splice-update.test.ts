import { Double, Int32, Long, serialize } from '../../contracts/bson.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UpdateDescriptionRecord } from '../../contracts/avro/change-event.js';
import { writeGeneral } from './apply-update.js';
import { BsonWriter } from './bson-writer.js';
import { SplicePlan, patchPlanned, planSplice, writePlanned } from './splice-update.js';
import type { Doc, Value } from './testing/random-docs.js';
import { Rng, diffDocuments, doc, docBytes, eventPaths, mutateDoc, placePath, withoutDisambiguation } from './testing/random-docs.js';
import { compileUpdateDescription } from './update-paths.js';

/** A value of the same BSON type and size as `v`, mostly a different one. */
function sameSize(rng: Rng, v: Value): Value | undefined {
  if (v instanceof Int32) return new Int32(rng.int(4));
  if (v instanceof Double) return new Double(rng.int(4) + 0.5);
  if (v instanceof Long) return Long.fromNumber(rng.int(4));
  if (typeof v === 'boolean') return rng.chance(0.5);
  return undefined;
}

/**
 * updatedFields setting some scalar paths of `d` (documents and arrays
 * descended) to same-size values. With `allNames`, also through field names
 * with dots or digits only: the event then has no disambiguatedPaths, and its
 * paths are read against the document.
 */
function sameSizeEdits(rng: Rng, d: Doc | Value[], prefix: string, out: Map<string, Value>, allNames = false): void {
  const entries: [string, Value][] = Array.isArray(d) ? d.map((v, i) => [String(i), v]) : [...d];
  for (const [k, v] of entries) {
    if ((!allNames && (k.includes('.') || /^\d+$/.test(k) !== Array.isArray(d))) || !rng.chance(0.4)) continue;
    if (v instanceof Map || Array.isArray(v)) {
      sameSizeEdits(rng, v, `${prefix}${k}.`, out, allNames);
      continue;
    }
    const w = sameSize(rng, v);
    if (w !== undefined) out.set(`${prefix}${k}`, w);
  }
}

function general(before: Buffer, ud: UpdateDescriptionRecord): Buffer | undefined {
  try {
    const out = new BsonWriter(Buffer.alloc(64));
    writeGeneral(out, before, 0, compileUpdateDescription(ud));
    return Buffer.from(out.buf.subarray(0, out.pos));
  } catch {
    return undefined;
  }
}

/** Checks a plan against the general writer; returns what was planned. */
function check(before: Buffer, ud: UpdateDescriptionRecord): SplicePlan {
  const expected = general(before, ud);
  let root;
  try {
    root = compileUpdateDescription(ud);
  } catch {
    return SplicePlan.None;
  }
  const plan = planSplice(before, 0, root);
  if (plan === SplicePlan.None) return plan;
  // Planned: the general writer succeeds, and the plan writes exactly its bytes.
  expect(expected).toBeDefined();
  const out = new BsonWriter(Buffer.alloc(8));
  writePlanned(out, before, 0);
  expect(out.buf.subarray(0, out.pos).toString('hex')).toBe(expected?.toString('hex'));
  if (plan === SplicePlan.SameSize) {
    const copy = Buffer.from(before);
    patchPlanned(copy);
    expect(copy.toString('hex')).toBe(expected?.toString('hex'));
  }
  return plan;
}

const ud = (fields: object, removed: string[] = [], truncated: { field: string; newSize: number }[] = []): UpdateDescriptionRecord => ({
  updatedFields: Buffer.from(serialize(fields)),
  removedFields: removed,
  truncatedArrays: truncated,
  disambiguatedPaths: null,
});

describe('splice updates', () => {
  const before = docBytes(
    new Map<string, Value>([
      ['_id', new Int32(1)],
      ['status', 'new'],
      ['customer', new Map<string, Value>([['tier', new Int32(2)], ['name', 'x']])],
      ['tags', ['a', 'b', 'c']],
      ['qty', new Int32(3)],
    ]),
  );

  it.each([
    ['a same-size value, in place', ud({ qty: new Int32(9) }), SplicePlan.SameSize],
    ['a same-size array element, in place', ud({ 'tags.1': 'x' }), SplicePlan.SameSize],
    ['a value of another size', ud({ status: 'paid', 'customer.tier': new Int32(3) }), SplicePlan.Resized],
    ['a value of another type', ud({ qty: 1.5 }), SplicePlan.Resized],
    ['an unchanged value (a move to the end)', ud({ status: 'new' }), SplicePlan.Resized],
    ['a new field, nested', ud({ 'customer.since': new Int32(5), added: true }), SplicePlan.Resized],
    ['an array element of another size', ud({ 'tags.1': 'longer' }), SplicePlan.Resized],
    ['an appended array element', ud({ 'tags.3': 'd', 'tags.4': 'e' }), SplicePlan.Resized],
    ['a removal and a truncation', ud({}, ['status', 'missing'], [{ field: 'tags', newSize: 1 }]), SplicePlan.Resized],
    ['a truncation, then an append', ud({ 'tags.1': 'z' }, [], [{ field: 'tags', newSize: 1 }]), SplicePlan.Resized],
    ['an append past the end, padded with nulls', ud({ 'tags.6': 'g', 'tags.4': 'e' }, ['tags.5']), SplicePlan.Resized],
  ])('plans %s', (_what, update, plan) => {
    expect(check(before, update)).toBe(plan);
  });

  // Without disambiguatedPaths (ud's default), next to fields whose own names have dots.
  const dotted = docBytes(
    new Map<string, Value>([
      ['_id', new Int32(1)],
      ['p', new Map<string, Value>([['q', new Int32(1)]])],
      ['tags', ['a', 'b', 'c']],
      ['p.q', new Int32(2)],
    ]),
  );
  const expanded = (u: UpdateDescriptionRecord) => ({ ...u, disambiguatedPaths: Buffer.from(serialize({})) });

  it.each([
    ['a path through a field that a dotted name starts with, with disambiguatedPaths', expanded(ud({ 'p.q': new Int32(5) })), SplicePlan.SameSize],
    ['a path beside dotted names it cannot mean', ud({ 'tags.1': 'x' }), SplicePlan.SameSize],
    ['a removal past an array end (nothing)', ud({}, ['tags.7', 'tags.9.x']), SplicePlan.SameSize],
  ])('plans %s', (_what, update, plan) => {
    expect(check(dotted, update)).toBe(plan);
  });

  it.each([
    ['a path that a dotted field name may be', ud({ 'p.q': new Int32(5) })],
    ['the removal of a path that a dotted field name may be', ud({}, ['p.q'])],
    ['a removal below a missing field (nothing, by the general writer)', ud({}, ['new.deep'])],
  ])('leaves %s to the general writer, beside dotted names', (_what, update) => {
    expect(check(dotted, update)).toBe(SplicePlan.None);
  });

  it.each([
    ['a long padding', ud({ 'tags.5000': 'd' })],
    ['a document created in a padded slot', ud({ 'tags.5.x': 'd' })],
    ['creating a document below a new path', ud({ 'new.deep': 1 })],
    ['removing an array element', ud({}, ['tags.0'])],
    ['a path through a scalar', ud({ 'qty.x': 1 })],
    ['a field name inside an array', ud({ 'tags.x': 1 })],
  ])('leaves %s to the general writer', (_what, update) => {
    expect(check(before, update)).toBe(SplicePlan.None);
  });

  it('writes exactly what the general writer writes, or declines, for random documents and updates', () => {
    const counts = new Map<SplicePlan, number>();
    // Events without disambiguatedPaths in which a path reads as a field whose own name has a dot.
    let dottedReadings = 0;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rng = new Rng(seed);
        const doc1 = new Map<string, Value>([['_id', new Int32(1)], ...doc(rng, 3, 6)]);
        const bytes = docBytes(doc1);
        const edits = new Map<string, Value>();
        sameSizeEdits(rng, doc1, '', edits);
        const dottedEdits = new Map<string, Value>();
        sameSizeEdits(rng, doc1, '', dottedEdits, true);
        const withoutPaths = [
          { ...ud({}), updatedFields: Buffer.from(serialize(dottedEdits)) },
          withoutDisambiguation(diffDocuments(rng, doc1, mutateDoc(rng, doc1, 3, '_id'))),
        ];
        for (const u of withoutPaths) {
          if (eventPaths(u).some(({ path, goal }) => placePath(doc1, path, goal)?.some((c) => c.name.includes('.')))) dottedReadings++;
        }
        const plans = [
          check(bytes, { updatedFields: Buffer.from(serialize(edits)), removedFields: [], truncatedArrays: [], disambiguatedPaths: null }),
          check(bytes, diffDocuments(rng, doc1, mutateDoc(rng, doc1, 3, '_id'))),
          // An update made for another document: mostly one the general writer refuses.
          check(bytes, diffDocuments(rng, doc(rng, 3, 6), doc(rng, 3, 6))),
          ...withoutPaths.map((u) => check(bytes, u)),
          check(bytes, withoutDisambiguation(diffDocuments(rng, doc(rng, 3, 6), doc(rng, 3, 6)))),
        ];
        for (const p of plans) counts.set(p, (counts.get(p) ?? 0) + 1);
      }),
      { numRuns: 2000 },
    );
    // Each kind of outcome is exercised many times (declines: mostly the updates made for another document).
    expect(counts.get(SplicePlan.SameSize)).toBeGreaterThan(300);
    expect(counts.get(SplicePlan.Resized)).toBeGreaterThan(300);
    expect(counts.get(SplicePlan.None)).toBeGreaterThan(30);
    expect(dottedReadings).toBeGreaterThan(200);
  });
});

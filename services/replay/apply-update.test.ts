import { Int32, serialize } from '../../contracts/bson.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UpdateDescriptionRecord } from '../../contracts/avro/change-event.js';
import { UpdateApplyError, applyUpdateDescription } from './apply-update.js';
import type { Component, Doc } from './testing/random-docs.js';
import { Rng, diffDocuments, disambiguatedPathsOf, doc, docBytes, eventPaths, mutateDoc, placePath, trueComponents, withoutDisambiguation } from './testing/random-docs.js';

const ud = (updated: object, removed: string[] = [], truncated: { field: string; newSize: number }[] = [], disambiguated?: object): UpdateDescriptionRecord => ({
  updatedFields: Buffer.from(serialize(updated)),
  removedFields: removed,
  truncatedArrays: truncated,
  disambiguatedPaths: disambiguated === undefined ? null : Buffer.from(serialize(disambiguated)),
});
const m = (entries: [string, unknown][]) => new Map(entries);
const hex = (x: unknown) => Buffer.from(serialize(x as Map<string, unknown>)).toString('hex');

/** A random document (with _id first), an edit of it, and the event the server would send for the edit. */
function randomChange(seed: number): { withId: Doc; after: Doc; description: UpdateDescriptionRecord } {
  const rng = new Rng(seed);
  const before = doc(rng, 3, 6);
  before.delete('_id');
  const withId: Doc = new Map([['_id', new Int32(1)], ...before]);
  const after = mutateDoc(rng, withId, 3, '_id');
  return { withId, after, description: diffDocuments(rng, withId, after) };
}

describe('applyUpdateDescription', () => {
  it('equals `after` byte for byte for random (before, after) pairs and their delta diff', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { withId, after, description } = randomChange(seed);
        const got = applyUpdateDescription(docBytes(withId), description);
        expect(got.toString('hex')).toBe(docBytes(after).toString('hex'));
      }),
      { numRuns: 3000 },
    );
  });

  it('without disambiguatedPaths, reads every path as the model of resolve-paths does, and gives `after` where that is the true reading', () => {
    const outcome = (f: () => Buffer) => {
      try {
        return f().toString('hex');
      } catch (e) {
        if (e instanceof UpdateApplyError) return 'refused';
        throw e;
      }
    };
    const canon = (cs: Component[] | undefined) => JSON.stringify(cs);
    let dotted = 0;
    let misread = 0;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { withId, after, description } = randomChange(seed);
        const readings = new Map<string, Component[]>();
        let trueReadings = true;
        for (const { path, goal } of eventPaths(description)) {
          const reading = placePath(withId, path, goal);
          // The path a delta wrote is one reading a delta can have written: there is always one.
          expect(reading, path).toBeDefined();
          // One text read two ways (a removal and a set): no disambiguatedPaths could state both.
          if (readings.has(path) && canon(readings.get(path)) !== canon(reading)) return;
          readings.set(path, reading as Component[]);
          if (canon(reading) !== canon(trueComponents(description, path))) trueReadings = false;
        }
        if ([...readings.values()].some((cs) => cs.some((c) => c.name.includes('.')))) dotted++;
        const bytes = docBytes(withId);
        const got = outcome(() => applyUpdateDescription(bytes, withoutDisambiguation(description)));
        // The same event with disambiguatedPaths stating the model's reading of every path.
        expect(got).toBe(outcome(() => applyUpdateDescription(bytes, { ...description, disambiguatedPaths: disambiguatedPathsOf(readings) })));
        if (trueReadings) expect(got).toBe(docBytes(after).toString('hex'));
        else misread++;
      }),
      { numRuns: 3000 },
    );
    // Dotted names are read often; a few events are truly ambiguous without disambiguatedPaths (a new "a.b" next to a).
    expect(dotted).toBeGreaterThan(300);
    expect(misread).toBeGreaterThan(2);
  });

  it('keeps existing fields in place and appends new ones in order', () => {
    const before = m([['_id', 1], ['a', 1], ['b', 2]]);
    const got = applyUpdateDescription(Buffer.from(serialize(before)), ud(m([['z', 3], ['a', new Int32(9)], ['c', 4]])));
    expect(got.toString('hex')).toBe(hex(m([['_id', 1], ['a', 9], ['b', 2], ['z', 3], ['c', 4]])));
  });

  it('pads arrays with nulls past the end, and reads a numeric component on a document as a field name', () => {
    const before = m([['_id', 1], ['arr', [1]], ['obj', m([['x', 1]])]]);
    const got = applyUpdateDescription(Buffer.from(serialize(before)), ud(m([['arr.3', 'x'], ['obj.2', true]])));
    expect(got.toString('hex')).toBe(hex(m([['_id', 1], ['arr', [1, null, null, 'x']], ['obj', m([['x', 1], ['2', true]])]])));
  });

  // With disambiguatedPaths ({} here: nothing ambiguous), as 6.1+ sends with showExpandedEvents; without, a path
  // below a missing parent is a field whose name has dots (resolve-paths.test.ts).
  it('creates missing parents as documents, truncates arrays, removes fields', () => {
    const before = m([['_id', 1], ['arr', [1, 2, 3, 4]], ['gone', 1]]);
    const got = applyUpdateDescription(
      Buffer.from(serialize(before)),
      ud(m([['arr.1', 'b'], ['n.m.o', 5]]), ['gone', 'never'], [{ field: 'arr', newSize: 2 }], m([])),
    );
    expect(got.toString('hex')).toBe(hex(m([['_id', 1], ['arr', [1, 'b']], ['n', m([['m', m([['o', 5]])]])]])));
  });

  it('follows disambiguatedPaths for dotted and numeric field names', () => {
    const before = m([['_id', 1], ['a.b', 1], ['a', m([['b', 2]])], ['arr', [m([['0', 'x']])]]]);
    const got = applyUpdateDescription(
      Buffer.from(serialize(before)),
      ud(m([['a.b', 10], ['arr.0.0', 'y']]), [], [], m([['a.b', ['a.b']], ['arr.0.0', ['arr', new Int32(0), '0']]])),
    );
    expect(got.toString('hex')).toBe(hex(m([['_id', 1], ['a.b', 10], ['a', m([['b', 2]])], ['arr', [m([['0', 'y']])]]])));
  });

  it('refuses paths that contradict the document', () => {
    const before = Buffer.from(serialize(m([['_id', 1], ['s', 'text'], ['arr', [1]]])));
    // With disambiguatedPaths, an unlisted path has no dotted name: s.x goes through a string, arr.x names a field of an array.
    expect(() => applyUpdateDescription(before, ud(m([['s.x', 1]]), [], [], m([])))).toThrow(UpdateApplyError);
    expect(() => applyUpdateDescription(before, ud(m([['arr.x', 1]]), [], [], m([])))).toThrow(UpdateApplyError);
    expect(() => applyUpdateDescription(before, ud(m([]), ['arr.x']))).toThrow(UpdateApplyError);
    expect(() => applyUpdateDescription(before, ud(m([['arr.5000000', 1]])))).toThrow(/pad/);
    expect(() => applyUpdateDescription(before, ud(m([['a', 1], ['a.b', 1]]), [], [], m([])))).toThrow(UpdateApplyError);
    expect(() => applyUpdateDescription(before, ud(m([]), [], [{ field: 's', newSize: 0 }]))).toThrow(UpdateApplyError);
  });
});

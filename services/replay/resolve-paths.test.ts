import { Int32, serialize } from '../../contracts/bson.js';
import { describe, expect, it } from 'vitest';
import type { UpdateDescriptionRecord } from '../../contracts/avro/change-event.js';
import { UpdateApplyError, applyUpdateDescription, writeGeneral } from './apply-update.js';
import { BsonWriter } from './bson-writer.js';
import { compileUpdateDescription } from './update-paths.js';

/**
 * Events without disambiguatedPaths (MongoDB 6.0; 6.1+ without
 * showExpandedEvents): each path is read against the document (rules in
 * resolve-paths.ts). Each case also runs with disambiguatedPaths — listing the
 * path, or `{}` (6.1+ with showExpandedEvents: an unlisted path has no dotted
 * or numeric field name) — where the reading is the one the event states.
 */
type Entries = [string, unknown][];
const m = (entries: Entries) => new Map(entries);
const bytes = (d: Map<string, unknown>) => Buffer.from(serialize(d));
const i32 = (n: number) => new Int32(n);

/** No disambiguatedPaths (null), `{}` (EXPANDED) or a listing. */
const EXPANDED: Entries = [];
function ud(updated: Entries, removed: string[] = [], truncated: { field: string; newSize: number }[] = [], disambiguated?: Entries): UpdateDescriptionRecord {
  return {
    updatedFields: bytes(m(updated)),
    removedFields: removed,
    truncatedArrays: truncated,
    disambiguatedPaths: disambiguated === undefined ? null : bytes(m(disambiguated)),
  };
}

/** The update applied as replay applies it (splice plan first), checked against the general writer alone. */
function applied(before: Entries, update: UpdateDescriptionRecord): string {
  const doc = bytes(m(before));
  const got = applyUpdateDescription(doc, update).toString('hex');
  const out = new BsonWriter(Buffer.alloc(16));
  writeGeneral(out, doc, 0, compileUpdateDescription(update));
  expect(out.buf.subarray(0, out.pos).toString('hex')).toBe(got);
  return got;
}
const hex = (entries: Entries) => bytes(m(entries)).toString('hex');

describe('paths without disambiguatedPaths, read against the document', () => {
  it('sets a field whose own name has a dot, where the document has one', () => {
    const before: Entries = [['_id', 1], ['p.q', 1]];
    const after = hex([['_id', 1], ['p.q', 5]]);
    expect(applied(before, ud([['p.q', 5]]))).toBe(after);
    expect(applied(before, ud([['p.q', 5]], [], [], [['p.q', ['p.q']]]))).toBe(after);
    // Unlisted with showExpandedEvents: the field q of a new p.
    expect(applied(before, ud([['p.q', 5]], [], [], EXPANDED))).toBe(hex([['_id', 1], ['p.q', 1], ['p', m([['q', 5]])]]));
  });

  it('prefers the field named "p.q" to the field q of p, wherever it stands', () => {
    for (const before of [
      [['_id', 1], ['p', m([['q', 1]])], ['p.q', 2]],
      [['_id', 1], ['p.q', 2], ['p', m([['q', 1]])]],
    ] as Entries[]) {
      const literal = before.map(([k, v]): [string, unknown] => [k, k === 'p.q' ? 5 : v]);
      const nested = before.map(([k, v]): [string, unknown] => [k, k === 'p' ? m([['q', 5]]) : v]);
      expect(applied(before, ud([['p.q', 5]]))).toBe(hex(literal));
      expect(applied(before, ud([['p.q', 5]], [], [], [['p.q', ['p.q']]]))).toBe(hex(literal));
      expect(applied(before, ud([['p.q', 5]], [], [], EXPANDED))).toBe(hex(nested));
      expect(applied(before, ud([['p.q', 5]], [], [], [['p.q', ['p', 'q']]]))).toBe(hex(nested));
    }
  });

  it('removes a field whose own name has a dot, and creates no parent', () => {
    const before: Entries = [['_id', 1], ['p.q', 1], ['x', 1]];
    expect(applied(before, ud([], ['p.q']))).toBe(hex([['_id', 1], ['x', 1]]));
    expect(applied(before, ud([], ['p.q'], [], [['p.q', ['p.q']]]))).toBe(hex([['_id', 1], ['x', 1]]));
    // Unlisted: the field q of p, which is missing: nothing changes (no `p: {}`).
    expect(applied(before, ud([], ['p.q'], [], EXPANDED))).toBe(hex(before));
  });

  it('removes nothing below a missing field, through a scalar or past an array end, and pads nothing', () => {
    const before: Entries = [['_id', 1], ['a', 1], ['arr', [1]]];
    expect(applied(before, ud([], ['n.m', 'n.0.x', 'arr.3', 'arr.5.x', 'a.b']))).toBe(hex(before));
    expect(applied(before, ud([], ['n.m', 'n.0.x', 'arr.3', 'arr.5.x'], [], EXPANDED))).toBe(hex(before));
    expect(applied(before, ud([], ['n.m', 'arr.5.x'], [], [['n.m', ['n', 'm']], ['arr.5.x', ['arr', i32(5), 'x']]]))).toBe(hex(before));
    // A slot that a set pads stays null, removed or not.
    const padded = hex([['_id', 1], ['a', 1], ['arr', [1, null, null, null, 'x']]]);
    expect(applied(before, ud([['arr.4', 'x']], ['arr.2', 'arr.3.y']))).toBe(padded);
    expect(applied(before, ud([['arr.4', 'x']], ['arr.2', 'arr.3.y'], [], EXPANDED))).toBe(padded);
    // With disambiguatedPaths, a removal through a string contradicts the document.
    expect(() => applied(before, ud([], ['a.b'], [], EXPANDED))).toThrow(UpdateApplyError);
  });

  it('reads a numeric component as an index in an array and as a name in a document', () => {
    const before: Entries = [['_id', 1], ['arr', [m([['x', 1]]), 2]], ['obj', m([['1', 1], ['0', m([['x', 1]])]])]];
    const after = hex([['_id', 1], ['arr', [m([['x', 2]]), 3]], ['obj', m([['1', 4], ['0', m([['x', 5]])]])]]);
    const update: Entries = [['arr.0.x', 2], ['arr.1', 3], ['obj.1', 4], ['obj.0.x', 5]];
    expect(applied(before, ud(update))).toBe(after);
    expect(applied(before, ud(update, [], [], [['obj.1', ['obj', '1']], ['obj.0.x', ['obj', '0', 'x']]]))).toBe(after);
  });

  it('tells the field "b.0" from element 0 of the array b', () => {
    const before: Entries = [['_id', 1], ['b', [1, 2]], ['b.0', 7]];
    expect(applied(before, ud([['b.0', 9]]))).toBe(hex([['_id', 1], ['b', [1, 2]], ['b.0', 9]]));
    expect(applied(before, ud([['b.0', 9]], [], [], [['b.0', ['b.0']]]))).toBe(hex([['_id', 1], ['b', [1, 2]], ['b.0', 9]]));
    expect(applied(before, ud([['b.0', 9]], [], [], EXPANDED))).toBe(hex([['_id', 1], ['b', [9, 2]], ['b.0', 7]]));
  });

  it('finds dotted names below documents and array elements', () => {
    const before: Entries = [['_id', 1], ['a', m([['b', m([['c', m([['d', 1]])]])], ['b.c', m([['d', 2]])]])], ['arr', [m([['x.y', 1]])]]];
    const update: Entries = [['a.b.c.d', 3], ['arr.0.x.y', 4]];
    const dotted = hex([['_id', 1], ['a', m([['b', m([['c', m([['d', 1]])]])], ['b.c', m([['d', 3]])]])], ['arr', [m([['x.y', 4]])]]]);
    expect(applied(before, ud(update))).toBe(dotted);
    expect(applied(before, ud(update, [], [], [['a.b.c.d', ['a', 'b.c', 'd']], ['arr.0.x.y', ['arr', i32(0), 'x.y']]]))).toBe(dotted);
    expect(applied(before, ud(update, [], [], EXPANDED))).toBe(
      hex([['_id', 1], ['a', m([['b', m([['c', m([['d', 3]])]])], ['b.c', m([['d', 2]])]])], ['arr', [m([['x.y', 1], ['x', m([['y', 4]])]])]]]),
    );
  });

  it('reads a path no split fits as a new field whose name has dots', () => {
    // A delta creates parents inside the inserted value ({n: {m: 1}}), never as a path: "n.m" is one name.
    const before: Entries = [['_id', 1], ['s', 'text']];
    expect(applied(before, ud([['n.m', 1], ['s.t', 2]]))).toBe(hex([['_id', 1], ['s', 'text'], ['n.m', 1], ['s.t', 2]]));
    expect(applied(before, ud([['n.m', 1]], [], [], EXPANDED))).toBe(hex([['_id', 1], ['s', 'text'], ['n', m([['m', 1]])]]));
    expect(() => applied(before, ud([['s.t', 2]], [], [], EXPANDED))).toThrow(UpdateApplyError);
  });

  it('takes a shorter name where the longer one leads to nothing a delta can have written', () => {
    // "a.x" is an array, and y no index: the path is a.x.y.
    const before: Entries = [['_id', 1], ['a.x', [1]], ['a', m([['x', m([['y', 1]])]])]];
    expect(applied(before, ud([['a.x.y', 2]]))).toBe(hex([['_id', 1], ['a.x', [1]], ['a', m([['x', m([['y', 2]])]])]]));
    // Only the nested y exists to be removed.
    const other: Entries = [['_id', 1], ['a.x', m([['z', 1]])], ['a', m([['x', m([['y', 1]])]])]];
    expect(applied(other, ud([], ['a.x.y']))).toBe(hex([['_id', 1], ['a.x', m([['z', 1]])], ['a', m([['x', m([])]])]]));
  });

  it('tells apart paths that overlap once split at their dots', () => {
    const before: Entries = [['_id', 1], ['c.d', m([['e', 1]])]];
    expect(applied(before, ud([['c', 1], ['c.d.e', 2]]))).toBe(hex([['_id', 1], ['c.d', m([['e', 2]])], ['c', 1]]));
    expect(() => applied(before, ud([['c', 1], ['c.d.e', 2]], [], [], EXPANDED))).toThrow(/replaced and also changed below/);
    // A delta sets no path below one it sets: "c.d" is a new field of its own, unless disambiguatedPaths says otherwise.
    expect(applied([['_id', 1]], ud([['c', 1], ['c.d', 2]]))).toBe(hex([['_id', 1], ['c', 1], ['c.d', 2]]));
    expect(() => applied([['_id', 1]], ud([['c', 1], ['c.d', 2]], [], [], EXPANDED))).toThrow(/replaced and also changed below/);
    expect(() => applied(before, ud([['c', 1]], ['c']))).toThrow(/both updated and removed/);
  });

  it('truncates an array whose own name has a dot', () => {
    const before: Entries = [['_id', 1], ['t.u', [1, 2, 3]], ['t', m([['u', [1, 2]]])]];
    expect(applied(before, ud([], [], [{ field: 't.u', newSize: 1 }]))).toBe(hex([['_id', 1], ['t.u', [1]], ['t', m([['u', [1, 2]]])]]));
    expect(applied(before, ud([], [], [{ field: 't.u', newSize: 1 }], EXPANDED))).toBe(hex([['_id', 1], ['t.u', [1, 2, 3]], ['t', m([['u', [1]]])]]));
    expect(() => applied([['_id', 1]], ud([], [], [{ field: 'n.m', newSize: 0 }]))).toThrow(/missing/);
  });

  it('appends new fields in the order the event lists them, dotted or not', () => {
    const before: Entries = [['_id', 1], ['p', m([['q', 1]])], ['p.r', 1]];
    expect(applied(before, ud([['p.q', 2], ['z.z', 6], ['p.r', 3], ['p.s', 4], ['z', 5]]))).toBe(
      hex([['_id', 1], ['p', m([['q', 2], ['s', 4]])], ['p.r', 3], ['z.z', 6], ['z', 5]]),
    );
  });
});

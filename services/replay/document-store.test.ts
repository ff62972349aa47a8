import { Int32, serialize } from '../../contracts/bson.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyUpdateDescription } from './apply-update.js';
import { DocumentStore } from './document-store.js';
import { compileUpdateDescription } from './update-paths.js';

const key = (id: number) => Buffer.from(serialize({ _id: new Int32(id) }));
const doc = (id: number, filler: number) => Buffer.from(serialize({ _id: new Int32(id), v: 'x'.repeat(filler) }));
const dump = (s: DocumentStore) => new Map(s.entries().map((e) => [e.key.toString('hex'), e.document.toString('hex')]));
const hex = (m: Map<string, Buffer>) => new Map([...m].map(([k, v]) => [k, v.toString('hex')]));

describe('DocumentStore', () => {
  it('agrees with a Map through adds, replacements, updates, removals, undo and compaction', () => {
    fc.assert(
      // Few keys: every record is changed, undone and compacted many times over; many keys: the table grows.
      fc.property(fc.integer(), fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 3000 })), (seed, keys) => {
        let s = seed >>> 0;
        const next = (n: number) => {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          // High bits: an LCG's low bits cycle (its lowest bit alternates, so two draws in a row were never independent).
          return (s >>> 8) % n;
        };
        const store = new DocumentStore();
        const model = new Map<string, Buffer>();
        for (let step = 0; step < 4000; step++) {
          const id = next(keys);
          const k = key(id);
          const slot = store.find(k);
          expect(slot >= 0).toBe(model.has(k.toString('hex')));
          const op = next(10);
          if (op < 4) {
            const d = doc(id, next(300));
            store.put(k, d);
            model.set(k.toString('hex'), d);
          } else if (op < 7 && slot >= 0) {
            const ud = { updatedFields: Buffer.from(serialize({ v: 'y'.repeat(next(50)) })), removedFields: [], truncatedArrays: [], disambiguatedPaths: null };
            const expected = applyUpdateDescription(model.get(k.toString('hex')) as Buffer, ud);
            store.update(slot, compileUpdateDescription(ud), next(2) === 0);
            model.set(k.toString('hex'), expected);
          } else if (op < 9 && slot >= 0) {
            store.remove(slot);
            model.delete(k.toString('hex'));
          } else {
            // A change undone: the key's record before it comes back.
            const before = slot >= 0 ? store.location(slot) : -1;
            if (slot >= 0 && next(2) === 0) store.remove(slot);
            else store.put(k, doc(id, next(100)));
            store.restore(k, before);
            const now = store.find(k);
            expect(now >= 0 ? store.document(now).toString('hex') : undefined).toBe(model.get(k.toString('hex'))?.toString('hex'));
          }
          store.maybeCompact();
        }
        expect(store.size).toBe(model.size);
        expect(dump(store)).toEqual(hex(model));
        for (const [k, d] of model) expect(store.document(store.find(Buffer.from(k, 'hex'))).equals(d)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('applies an update without disambiguatedPaths to a field whose own name has a dot, in place or as a new version', () => {
    const before = Buffer.from(serialize(new Map<string, unknown>([['_id', new Int32(1)], ['p', new Map([['q', new Int32(1)]])], ['p.q', new Int32(2)]])));
    const after = Buffer.from(serialize(new Map<string, unknown>([['_id', new Int32(1)], ['p', new Map([['q', new Int32(1)]])], ['p.q', new Int32(7)]])));
    const update = { updatedFields: Buffer.from(serialize({ 'p.q': new Int32(7) })), removedFields: [], truncatedArrays: [], disambiguatedPaths: null };
    for (const inPlace of [true, false]) {
      const store = new DocumentStore();
      store.add(key(1), before);
      store.update(store.find(key(1)), compileUpdateDescription(update), inPlace);
      expect(store.document(store.find(key(1))).toString('hex')).toBe(after.toString('hex'));
    }
  });

  it('leaves a failed update without a trace', () => {
    const store = new DocumentStore();
    store.add(key(1), doc(1, 10));
    // v is a string, and disambiguatedPaths ({}: nothing ambiguous) says v.x is no field named "v.x".
    const bad = { updatedFields: Buffer.from(serialize({ 'v.x': 1 })), removedFields: [], truncatedArrays: [], disambiguatedPaths: Buffer.from(serialize({})) };
    expect(() => store.update(store.find(key(1)), compileUpdateDescription(bad), true)).toThrow();
    expect(store.document(store.find(key(1))).equals(doc(1, 10))).toBe(true);
    // Refused once placed against the document: the truncation of a field that is not there.
    const missing = { updatedFields: Buffer.from(serialize({ 'v.x': 1 })), removedFields: [], truncatedArrays: [{ field: 'n.m', newSize: 0 }], disambiguatedPaths: null };
    expect(() => store.update(store.find(key(1)), compileUpdateDescription(missing), true)).toThrow(/missing/);
    expect(store.document(store.find(key(1))).equals(doc(1, 10))).toBe(true);
  });
});

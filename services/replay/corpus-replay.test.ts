/**
 * Golden tests: every fixture of the documented corpus, replayed from its
 * `before` state, must give its `after` state byte for byte (documents) and
 * its collectionsAfter (namespaces and index names) for DDL.
 */
import { Buffer } from 'node:buffer';
import { EJSON } from '../../contracts/bson.js';
import { bsonToEjson } from '../../contracts/bson-to-ejson.js';
import { forEachElement } from '../../contracts/bson-elements.js';
import { describe, expect, it } from 'vitest';
import type { SnapshotRecord } from '../../contracts/avro/snapshot-record.js';
import { loadCorpus } from '../../test/fixtures/change-events/corpus.js';
import type { CollectionState, Fixture } from '../../test/fixtures/change-events/corpus.js';
import type { BaseNamespace } from './base-snapshot.js';
import { ID_INDEX } from './collection-metadata.js';
import { namespaceName } from './event-position.js';
import { ReplayState } from './replay-state.js';
import { normalizeFixtureEvents } from './testing/fixture-events.js';

/** `{_id: …}` of a document's bytes, cut from them (no decode: an _id may hold digit-only names). */
function keyOf(doc: Buffer): Buffer {
  let key: Buffer | undefined;
  forEachElement(doc, 0, (_type, nameStart, nameEnd, _valueStart, valueEnd) => {
    if (key === undefined && doc.toString('latin1', nameStart, nameEnd) === '_id') {
      const element = doc.subarray(nameStart - 1, valueEnd);
      key = Buffer.alloc(4 + element.length + 1);
      key.writeInt32LE(key.length, 0);
      element.copy(key, 4);
    }
  });
  if (key === undefined) throw new Error('a document without _id');
  return key;
}

async function* iterate<T>(items: readonly T[]): AsyncIterable<T> {
  for (const i of items) yield await Promise.resolve(i);
}

function baseFor(fixture: Fixture, eventNs: string): BaseNamespace[] {
  const byNs = new Map<string, { docs: Buffer[]; meta?: CollectionState }>();
  const docs = fixture.documentsBeforeBytes ?? (fixture.beforeBytes ? [fixture.beforeBytes] : []);
  if (docs.length > 0) byNs.set(eventNs, { docs });
  for (const c of fixture.collectionsBefore ?? []) {
    const name = `${c.ns.db}.${c.ns.coll}`;
    byNs.set(name, { docs: byNs.get(name)?.docs ?? [], meta: c });
  }
  return [...byNs].map(([ns, { docs: list, meta }]) => {
    const records: SnapshotRecord[] = list.map((d) => ({ key: keyOf(d), document: d }));
    const indexes = meta ? meta.indexes.map((i) => EJSON.serialize(i, { relaxed: false })) : [ID_INDEX];
    const options = meta ? EJSON.serialize(meta.options, { relaxed: false }) : {};
    return { ns, metadata: { ns, indexes, options }, records: iterate(records) };
  });
}

const corpus = loadCorpus();

describe('replay reproduces every documented change', () => {
  it('has fixtures', () => expect(corpus.length).toBeGreaterThan(0));

  for (const fixture of corpus) {
    it(`${fixture.group}/${fixture.name}`, async () => {
      const events = normalizeFixtureEvents(fixture.events, fixture.options.fullDocument);
      const first = events[0];
      if (first === undefined) throw new Error('fixture without events');
      const eventNs = namespaceName(first.ns);
      const state = await ReplayState.fromBase({ position: null, namespaces: baseFor(fixture, eventNs) });
      await state.applyAll(events);
      const touched = [...new Set(events.flatMap((e) => [namespaceName(e.ns), ...(e.to ? [namespaceName(e.to)] : [])]))];
      const find = (key: Buffer) => touched.map((ns) => state.document(ns, key)).find((d) => d !== undefined);

      if (fixture.beforeBytes !== null || fixture.afterBytes !== null) {
        const key = keyOf((fixture.afterBytes ?? fixture.beforeBytes) as Buffer);
        const got = find(key);
        if (fixture.afterBytes === null) expect(got).toBeUndefined();
        else expect(got?.toString('hex'), bsonToEjson(fixture.afterBytes)).toBe(fixture.afterBytes.toString('hex'));
      }
      if (fixture.documentsBeforeBytes !== undefined || fixture.documentsAfterBytes !== undefined) {
        const after = new Map((fixture.documentsAfterBytes ?? []).map((d) => [keyOf(d).toString('hex'), d.toString('hex')]));
        for (const d of [...(fixture.documentsBeforeBytes ?? []), ...(fixture.documentsAfterBytes ?? [])]) {
          const k = keyOf(d);
          expect(find(k)?.toString('hex'), `document ${bsonToEjson(k)}`).toBe(after.get(k.toString('hex')));
        }
      }
      if (fixture.collectionsAfter !== undefined) {
        const expected = new Set(fixture.collectionsAfter.map((c) => `${c.ns.db}.${c.ns.coll}`));
        for (const c of fixture.collectionsBefore ?? []) {
          const ns = `${c.ns.db}.${c.ns.coll}`;
          if (!expected.has(ns)) expect(state.metadata(ns), `${ns} is gone`).toBeUndefined();
        }
        for (const c of fixture.collectionsAfter) {
          const ns = `${c.ns.db}.${c.ns.coll}`;
          const meta = state.metadata(ns);
          expect(meta, `${ns} exists`).toBeDefined();
          // Index details come only with showExpandedEvents; without it the names still must match.
          const names = (list: readonly Record<string, unknown>[]) => list.map((i) => String(i.name)).sort();
          if (fixture.options.showExpandedEvents) {
            expect(names(meta?.indexes ?? [])).toEqual(names(c.indexes));
          }
        }
      }
    });
  }
});

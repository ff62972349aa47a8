/**
 * Golden tests: every fixture of the documented corpus, replayed from its
 * `before` state, must give its `after` state byte for byte (documents) and
 * its collectionsAfter (namespaces and index names) for DDL.
 */
import { EJSON, serialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { describe, expect, it } from 'vitest';
import type { SnapshotRecord } from '../../contracts/avro/snapshot-record.js';
import { loadCorpus } from '../../test/fixtures/change-events/corpus.js';
import type { CollectionState, Fixture } from '../../test/fixtures/change-events/corpus.js';
import type { BaseNamespace } from './base-snapshot.js';
import { ID_INDEX } from './collection-metadata.js';
import { namespaceName } from './event-position.js';
import { ReplayState } from './replay-state.js';
import { normalizeFixtureEvents } from './testing/fixture-events.js';

const bytes = (d: Document) => Buffer.from(serialize(d));
const keyOf = (d: Document) => bytes({ _id: d._id as unknown });

async function* iterate<T>(items: readonly T[]): AsyncIterable<T> {
  for (const i of items) yield await Promise.resolve(i);
}

function baseFor(fixture: Fixture, eventNs: string): BaseNamespace[] {
  const byNs = new Map<string, { docs: Document[]; meta?: CollectionState }>();
  const docs = fixture.documentsBefore ?? (fixture.before ? [fixture.before] : []);
  if (docs.length > 0) byNs.set(eventNs, { docs });
  for (const c of fixture.collectionsBefore ?? []) {
    const name = `${c.ns.db}.${c.ns.coll}`;
    byNs.set(name, { docs: byNs.get(name)?.docs ?? [], meta: c });
  }
  return [...byNs].map(([ns, { docs: list, meta }]) => {
    const records: SnapshotRecord[] = list.map((d) => ({ key: keyOf(d), document: bytes(d) }));
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

      if (fixture.before !== null || fixture.after !== null) {
        const key = keyOf((fixture.after ?? fixture.before) as Document);
        const got = find(key);
        if (fixture.after === null) expect(got).toBeUndefined();
        else expect(got?.toString('hex')).toBe(bytes(fixture.after).toString('hex'));
      }
      if (fixture.documentsBefore !== undefined || fixture.documentsAfter !== undefined) {
        const after = new Map((fixture.documentsAfter ?? []).map((d) => [keyOf(d).toString('hex'), bytes(d).toString('hex')]));
        for (const d of [...(fixture.documentsBefore ?? []), ...(fixture.documentsAfter ?? [])]) {
          const k = keyOf(d);
          expect(find(k)?.toString('hex'), `document ${EJSON.stringify(d._id)}`).toBe(after.get(k.toString('hex')));
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

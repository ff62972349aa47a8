/**
 * The differential correctness suite: a random workload's change events (in
 * the corpus's shapes, derived from a model of the true state) captured into
 * an archive with compactions along the way; at 50 random positions the true
 * content is recorded, and a restore to each position into a fresh database
 * must leave every document byte-identical and nothing extra.
 *
 * Valid on every server: each restore writes into a fresh, empty database
 * (into-empty), and inserted documents keep their bytes on the stand-in and on
 * mongod alike (TEST-INFRA.md: only overwrites of existing documents differ).
 * Documents are read back as raw BSON, so no decoding can hide a difference.
 */
import { serialize } from 'bson';
import type { Document } from 'bson';
import fc from 'fast-check';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatPosition, position } from '../../../contracts/index.js';
import { openStateAt } from '../../../services/restore/archive-state.js';
import { runRestore } from '../../../services/restore/restore-job.js';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';
import { TestArchive } from './test-archive.js';
import { Workload } from './workload.js';
import type { TrueState } from './workload.js';

const SEED = Number(process.env.REWIND_TEST_SEED ?? 20261122);
const GROUPS = 420;
const CHECKPOINTS = 50;
const SEGMENT_EVERY = 35;
const COMPACT_AT = new Set([140, 280, 385]);

const byBytes = (x: Uint8Array, y: Uint8Array) => Buffer.compare(x, y);

async function readBack(client: MongoClient, db: string): Promise<Map<string, { docs: Buffer[]; indexes: string[] }>> {
  const out = new Map<string, { docs: Buffer[]; indexes: string[] }>();
  for (const c of await client.db(db).listCollections({}, { nameOnly: true }).toArray()) {
    const coll = client.db(db).collection(c.name);
    const docs: Buffer[] = [];
    for await (const raw of coll.find({}, { raw: true, batchSize: 50 })) docs.push(Buffer.from(raw as unknown as Uint8Array));
    const indexes = (await coll.listIndexes().toArray()).map((i) => String((i as { name?: unknown }).name)).filter((n) => n !== '_id_').sort();
    out.set(c.name, { docs: docs.sort(byBytes), indexes });
  }
  return out;
}

function expected(truth: TrueState, sourceDb: string): Map<string, { docs: Buffer[]; indexes: string[] }> {
  const out = new Map<string, { docs: Buffer[]; indexes: string[] }>();
  for (const [ns, v] of truth.namespaces) {
    out.set(ns.slice(sourceDb.length + 1), { docs: v.docs.map((d: Document) => Buffer.from(serialize(d))).sort(byBytes), indexes: v.indexes });
  }
  return out;
}

describeWith('wire', 'differential restore: 50 random positions, byte-identical', (server) => {
  let client: MongoClient;
  let archive: TestArchive;
  const truths: TrueState[] = [];
  const kinds = new Map<string, number>();
  const source = 'shop';

  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    archive = await TestArchive.create();
    const workload = new Workload({ seed: SEED, db: source, collections: ['orders', 'items', 'people'], startSeconds: 1_767_000_000 });
    const p0 = position(1_767_000_000, 0, 0);
    await archive.initialSnapshot(p0, workload.seed(25));
    const chosen = new Set(fc.sample(fc.uniqueArray(fc.integer({ min: 0, max: GROUPS - 1 }), { minLength: CHECKPOINTS - 1, maxLength: CHECKPOINTS - 1 }), { seed: SEED, numRuns: 1 })[0]);
    truths.push(workload.snapshot(p0));
    for (let g = 0; g < GROUPS; g++) {
      const group = workload.next();
      kinds.set(group.kind, (kinds.get(group.kind) ?? 0) + 1);
      const events = archive.add(group);
      if (chosen.has(g)) {
        // Any index inside the group means "after the whole group" (no transaction is split).
        const last = events[events.length - 1] as (typeof events)[number];
        const inside = g % (events.length + 1);
        truths.push(workload.snapshot(position(last.seconds, last.increment, Math.min(inside, events.length - 1))));
      }
      if ((g + 1) % SEGMENT_EVERY === 0) await archive.flush();
      if (COMPACT_AT.has(g)) {
        await archive.flush();
        await archive.compactTo(workload.position);
      }
    }
    await archive.flush();
  });

  afterAll(async () => {
    await client?.close();
    await archive?.remove();
  });

  it('covers every kind of operation the suite promises', () => {
    for (const kind of ['insert', 'update', 'replace', 'delete', 'transaction', 'deleteMany', 'drop', 'rename', 'createIndexes', 'dropIndexes']) {
      expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(0);
    }
    expect(truths).toHaveLength(CHECKPOINTS);
  });

  it('restores each position into a fresh database byte for byte, with nothing extra', async () => {
    const catalog = await archive.catalog();
    expect(catalog.snapshots.length).toBe(1 + COMPACT_AT.size);
    for (const truth of truths) {
      const db = uniqueDatabase('differential');
      const state = await openStateAt({ store: archive.store, catalog, target: { kind: 'position', position: formatPosition(truth.position) } });
      try {
        await runRestore({
          state,
          client,
          inPlace: false,
          confirmSource: false,
          mode: 'into-empty',
          dryRun: false,
          namespaces: [],
          mappings: [{ from: `${source}.*`, to: `${db}.*` }],
          jobDir: null,
          batchSize: 40,
        });
      } finally {
        await state.close();
      }
      const got = await readBack(client, db);
      const want = expected(truth, source);
      expect([...got.keys()].sort(), `collections at ${formatPosition(truth.position)}`).toEqual([...want.keys()].sort());
      for (const [coll, w] of want) {
        const g = got.get(coll);
        expect(g?.docs.length, `${coll} count at ${formatPosition(truth.position)}`).toBe(w.docs.length);
        expect(g?.docs, `${coll} bytes at ${formatPosition(truth.position)}`).toEqual(w.docs);
        expect(g?.indexes, `${coll} indexes at ${formatPosition(truth.position)}`).toEqual(w.indexes);
      }
      await client.db(db).dropDatabase();
    }
  });
});

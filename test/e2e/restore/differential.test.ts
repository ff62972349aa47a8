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
import fc from 'fast-check';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { position } from '../../../contracts/index.js';
import { describeWith, mongoClient } from '../../harness/index.js';
import { restoreAndCompare } from './compare-state.js';
import { TestArchive } from './test-archive.js';
import { Workload } from './workload.js';
import type { TrueState } from './workload.js';

const SEED = Number(process.env.REWIND_TEST_SEED ?? 20261122);
const GROUPS = 420;
const CHECKPOINTS = 50;
const SEGMENT_EVERY = 35;
const COMPACT_AT = new Set([140, 280, 385]);

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
    for (const truth of truths) await restoreAndCompare({ client, store: archive.store, catalog, truth, sourceDb: source });
  });
});

/**
 * The differential suite through the whole capture pipeline, as `rewind up`
 * runs it: the random workload's raw change events (corpus shapes) played by
 * a recorded change source, the collector's initial copy and stream, the
 * embedded log, and the archiver writing segments and compacting by volume.
 * At every recorded position inside the restorable window, a restore into a
 * fresh database is byte-identical to the model's truth, with nothing extra.
 *
 * Valid on every server for the same reason as differential.test.ts: only
 * inserts into fresh collections are compared, as raw bytes.
 */
import { serialize } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import fc from 'fast-check';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compareDocumentKeys, comparePositions, position } from '../../../contracts/index.js';
import type { Position } from '../../../contracts/index.js';
import { RecordedChangeSource, eventBytes } from '../../../services/collector/testing/recorded-change-source.js';
import { RecordedCopySource } from '../../../services/collector/testing/recorded-copy-source.js';
import { ID_INDEX } from '../../../services/replay/collection-metadata.js';
import { restorableWindow } from '../../../services/replay/plan-restore.js';
import { describeWith, mongoClient } from '../../harness/index.js';
import { restoreAndCompare } from './compare-state.js';
import { captureThroughPipeline } from './pipeline-capture.js';
import type { CapturedArchive } from './pipeline-capture.js';
import { Workload } from './workload.js';
import type { TrueState } from './workload.js';

const SEED = Number(process.env.REWIND_TEST_SEED ?? 20261122) + 1;
const GROUPS = 400;
const CHECKPOINTS = 50;

describeWith('wire', 'differential restore through collector, log and archiver', (server) => {
  let client: MongoClient;
  let captured: CapturedArchive;
  const truths: TrueState[] = [];
  const source = 'shop';

  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    const workload = new Workload({ seed: SEED, db: source, collections: ['orders', 'items', 'people'], startSeconds: 1_767_400_000 });
    const seeded = workload.seed(25);
    const copy = new RecordedCopySource(() =>
      [...seeded].map(([ns, docs]) => ({ ns, options: {}, indexes: [ID_INDEX], documents: docs.map((d: Document) => ({ key: serialize({ _id: d._id as unknown }), doc: Buffer.from(serialize(d)) })).sort((a, b) => compareDocumentKeys(a.key, b.key)).map((x) => x.doc) })),
    );
    const chosen = new Set(fc.sample(fc.uniqueArray(fc.integer({ min: 0, max: GROUPS - 1 }), { minLength: CHECKPOINTS, maxLength: CHECKPOINTS }), { seed: SEED, numRuns: 1 })[0]);
    const raws: Document[] = [];
    let last: Position | null = null;
    for (let g = 0; g < GROUPS; g++) {
      const group = workload.next();
      raws.push(...group.events);
      const ct = (group.events.at(-1) as { clusterTime: { high: number; low: number } }).clusterTime;
      last = position(ct.high, ct.low, group.events.length - 1);
      if (chosen.has(g)) truths.push(workload.snapshot(position(ct.high, ct.low, g % group.events.length)));
    }
    // The copy reads by _id, as MongoCopySource does (sort({_id: 1})).
    // Events appear over time, after the collector has opened its stream and taken the copy.
    const t0 = Date.now() + 1500;
    const stream = new RecordedChangeSource(eventBytes(raws), { batchSize: 50, availableAtMs: (i) => t0 + i * 2 });
    const end = last;
    captured = await captureThroughPipeline({
      source: stream,
      copySource: copy,
      through: () => end,
      also: (c) => c.snapshots.some((s) => s.kind === 'compaction'),
      compactAfterEvents: 150,
    });
  });

  afterAll(async () => {
    await client?.close();
    await captured?.remove();
  });

  it('restores every recorded position in the window byte for byte', async () => {
    const window = restorableWindow(captured.catalog);
    if (!window) throw new Error('nothing captured');
    expect(captured.catalog.snapshots.some((s) => s.kind === 'initial-copy')).toBe(true);
    expect(captured.catalog.snapshots.filter((s) => s.kind === 'compaction').length).toBeGreaterThan(0);
    const inWindow = truths.filter((t) => comparePositions(t.position, window.earliest) >= 0);
    // The copy is taken before the first event appears, so the window covers every recorded position.
    expect(inWindow).toHaveLength(CHECKPOINTS);
    for (const truth of inWindow) await restoreAndCompare({ client, store: captured.store, catalog: captured.catalog, truth, sourceDb: source });
  });
});

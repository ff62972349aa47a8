/**
 * Benchmark `restore`:
 * 1. Documents restored per second (into-empty, from a real archive: a
 *    snapshot plus segments folded by compaction, then batched duplicate-safe
 *    writes) beside an unordered insertMany of the same documents into an
 *    empty collection of the same server, same size, same run. Target ratio
 *    ≥ 0.8.
 * 2. Peak resident memory (VmHWM) of the `rewind restore` process itself
 *    (a restore streams: 10 million documents must stay under 500 MB), with
 *    real components only:
 *    - dry-runs (no writes) at growing namespace sizes against an empty
 *      target: every document is folded and classified, nothing is written,
 *      so millions fit while the stand-in holds nothing;
 *    - one real restore at the largest size the stand-in holds in reasonable
 *      time (its heap grows with every document), reading the archive of the
 *      same-sized dry-run: the difference is the write path's memory.
 *
 * Server: REWIND_BENCH_MONGODB_URI when set, else the local MongoDB wire
 * stand-in (mongo-java-server, in memory) from the test-server install; the
 * figures' params say which. The stand-in is not mongod: its absolute rates
 * say nothing about a real server, only the ratio (same server, same data) does.
 */
import type { BenchContext, BenchResult, Figure } from './convention.js';
import { memorySeries } from './support/restore-memory-series.js';
import type { MemoryPlan } from './support/restore-memory-series.js';
import { RATE_ROUNDS, restoreRate } from './support/restore-rate.js';

interface Plan {
  /** Documents for the rate figure (restore and insertMany alike). */
  rate: number;
  /** Stand-in heap for the rate size: a warm-up, 2 restores and 2 baselines, with their oplog. */
  heap: string;
  memory: Omit<MemoryPlan, 'batchSize'>;
}

// The real restore's stand-in keeps about 11 KB of heap per document (3.3 GB resident at 300k).
const QUICK: Plan = { rate: 10_000, heap: '1g', memory: { dryRun: [30_000, 300_000], write: 30_000, writeHeap: '1g', denseUpdates: null } };
const FULL: Plan = {
  rate: 100_000,
  heap: '6g',
  memory: { dryRun: [300_000, 3_000_000, 10_000_000], write: 300_000, writeHeap: '6g', denseUpdates: 1_000_000 },
};

const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
const size = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
const TARGET = 'value < 500 MB';

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const plan = ctx.quick ? QUICK : FULL;
  const batchSize = 1000;
  const rate = await restoreRate(ctx, plan.rate, plan.heap, batchSize);
  const memory = await memorySeries(ctx, { ...plan.memory, batchSize });

  const smallest = memory.dryRuns[0];
  const sameSize = memory.dryRuns.find((d) => d.documents === memory.write.documents);
  const dryRunFigures: Figure[] = memory.dryRuns.map((m) => ({
    metric: `dry-run (no writes) peak RSS at ${size(m.documents)}`,
    unit: 'MB',
    value: mb(m.peakRssBytes),
    // Beside the smallest size: a ratio near 1 says memory does not grow with the namespace.
    ...(smallest && m !== smallest ? { baseline: { what: `dry-run at ${size(smallest.documents)}`, value: mb(smallest.peakRssBytes) } } : {}),
    lowerIsBetter: true,
    target: TARGET,
  }));

  return {
    figures: [
      {
        metric: 'restore into-empty',
        unit: 'docs/s',
        value: Math.round(plan.rate / rate.restoreSeconds),
        baseline: { what: 'unordered insertMany of the same documents, same server', value: Math.round(plan.rate / rate.baselineSeconds) },
        target: '>= 0.8',
      },
      {
        // The driver takes values, not bytes: what restore spends turning bytes into values and back.
        metric: 'restore time spent decoding documents for the driver (documentForDriver)',
        unit: '%',
        value: Math.round((rate.decodeSeconds / rate.restoreSeconds) * 1000) / 10,
        lowerIsBetter: true,
      },
      {
        metric: "restore time spent in the driver's serialize of those documents",
        unit: '%',
        value: Math.round((rate.encodeSeconds / rate.restoreSeconds) * 1000) / 10,
        lowerIsBetter: true,
      },
      ...dryRunFigures,
      ...(memory.dense
        ? [
            {
              metric: `dry-run (no writes) peak RSS at ${size(memory.dense.documents)}, every document updated after the snapshot`,
              unit: 'MB',
              value: mb(memory.dense.peakRssBytes),
              lowerIsBetter: true,
              target: TARGET,
            },
          ]
        : []),
      {
        metric: `restore into ${memory.writeServer.name} peak RSS at ${size(memory.write.documents)}`,
        unit: 'MB',
        value: mb(memory.write.peakRssBytes),
        // Beside the dry-run of the same archive: the ratio is what the write path adds.
        ...(sameSize ? { baseline: { what: `dry-run (no writes) at ${size(sameSize.documents)}, same archive`, value: mb(sameSize.peakRssBytes) } } : {}),
        lowerIsBetter: true,
        target: TARGET,
      },
    ],
    params: {
      server: rate.server,
      documents: plan.rate,
      batchSize,
      rounds: `warm-up, then restore and insertMany alternately ${RATE_ROUNDS} times; best round of each`,
      archive: 'one snapshot namespace + segments of updates (every 50th document, 100k events per segment), folded by compaction',
      writes: 'into-empty: bulkWrite insertOne, ordered: false (duplicate keys on resume rewritten as replaceOne upserts)',
      memory: 'VmHWM of the `rewind restore` process (bin/rewind.mjs, --json), sampled from /proc every 25 ms and at its report',
      memoryDryRun:
        '`--mode overwrite --dry-run` against an empty collection: folds snapshot and segments, reads the target in key order (empty), classifies every document (report counts each as a would-be insert; checked), writes nothing (collection checked empty); leaves out decoding documents for the driver and the write batches in flight',
      memoryDryRunServer: memory.dryRunServer,
      memoryDryRunSizes: plan.memory.dryRun,
      memoryWrite: 'a real `--mode into-empty` restore of the archive of the same-sized dry-run; the collection is counted afterwards',
      memoryWriteServer: memory.writeServer.description,
      memoryGrowth:
        'what grows is the fold: update events after the snapshot (one per 50 documents here) stay buffered until the merge, up to compaction\'s event budget, then spill; the every-document-updated dry-run shows the cap',
      memorySeconds: {
        ...Object.fromEntries(memory.dryRuns.map((m) => [`dry-run ${size(m.documents)}`, Math.round(m.seconds * 10) / 10])),
        ...(memory.dense ? { [`dry-run ${size(memory.dense.documents)} every document updated`]: Math.round(memory.dense.seconds * 10) / 10 } : {}),
        [`restore ${size(memory.write.documents)}`]: Math.round(memory.write.seconds * 10) / 10,
      },
      archiveSeconds: memory.archiveSeconds,
    },
  };
}

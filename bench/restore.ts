/**
 * Benchmark `restore`:
 * 1. Documents restored per second (into-empty, from a real archive: a
 *    snapshot plus segments folded by compaction, then batched duplicate-safe
 *    writes) beside an unordered insertMany of the same documents into an
 *    empty collection of the same server, same size, same run. Target ratio
 *    ≥ 0.8.
 * 2. Peak resident memory (VmHWM) of the `rewind restore` process itself at
 *    growing namespace sizes (a restore streams: 10 million documents must
 *    stay under 500 MB). The large sizes write into a wire sink
 *    (support/wire-sink.ts) because the stand-in cannot hold millions of
 *    documents; one run at the rate size writes into the real server, so the
 *    two can be compared.
 *
 * Server: REWIND_BENCH_MONGODB_URI when set, else the local MongoDB wire
 * stand-in (mongo-java-server, in memory) from the test-server install; the
 * figures' params say which. The stand-in is not mongod: its absolute rates
 * say nothing about a real server, only the ratio (same server, same data) does.
 */
import type { BenchContext, BenchResult, Figure } from './convention.js';
import { restoreMemoryAt } from './support/restore-memory.js';
import type { MemoryRun } from './support/restore-memory.js';
import { RATE_ROUNDS, restoreRate } from './support/restore-rate.js';


interface Plan {
  /** Documents for the rate figure (restore and insertMany alike). */
  rate: number;
  /** Stand-in heap for the rate size: 2 restores, 2 baselines and one restore process, with their oplog. */
  heap: string;
  /** Namespace sizes whose restore memory is measured, smallest first (an update per 50 documents). */
  memory: number[];
  /**
   * A namespace whose every document was updated after the snapshot: the fold's event buffer
   * fills to its cap (compaction's memory budget) and spills, the most a restore buffers.
   */
  denseUpdates: number | null;
}

const QUICK: Plan = { rate: 10_000, heap: '1g', memory: [30_000, 300_000], denseUpdates: null };
const FULL: Plan = { rate: 100_000, heap: '6g', memory: [300_000, 3_000_000, 10_000_000], denseUpdates: 1_000_000 };

const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
const millions = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const plan = ctx.quick ? QUICK : FULL;
  const batchSize = 1000;
  const rate = await restoreRate(ctx, plan.rate, plan.heap, batchSize);

  const memory: MemoryRun[] = [];
  for (const count of plan.memory) {
    const m = await restoreMemoryAt(count, batchSize);
    ctx.log(`restore process into the wire sink: ${count} docs, peak RSS ${mb(m.peakRssBytes)} MB, ${m.restoreSeconds.toFixed(1)} s (archive built in ${m.archiveSeconds.toFixed(1)} s)`);
    memory.push(m);
  }
  const smallest = memory[0];
  const dense = plan.denseUpdates === null ? null : await restoreMemoryAt(plan.denseUpdates, batchSize, 1);
  if (dense) ctx.log(`restore process into the wire sink, every document updated: ${dense.documents} docs, peak RSS ${mb(dense.peakRssBytes)} MB, ${dense.restoreSeconds.toFixed(1)} s`);
  const memoryFigures: Figure[] = memory.map((m) => ({
    metric: `restore process peak RSS, ${millions(m.documents)} documents (wire sink)`,
    unit: 'MB',
    value: mb(m.peakRssBytes),
    // Beside the smallest size: a ratio near 1 says memory does not grow with the namespace.
    ...(smallest && m !== smallest ? { baseline: { what: `the same restore of ${millions(smallest.documents)} documents`, value: mb(smallest.peakRssBytes) } } : {}),
    lowerIsBetter: true,
    target: 'value < 500 MB',
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
        metric: `restore process peak RSS, ${millions(plan.rate)} documents (same server)`,
        unit: 'MB',
        value: mb(rate.processPeakRssBytes),
        lowerIsBetter: true,
        target: 'value < 500 MB',
      },
      ...memoryFigures,
      ...(dense
        ? [
            {
              metric: `restore process peak RSS, ${millions(dense.documents)} documents each updated after the snapshot (wire sink)`,
              unit: 'MB',
              value: mb(dense.peakRssBytes),
              lowerIsBetter: true,
              target: 'value < 500 MB',
            },
          ]
        : []),
    ],
    params: {
      server: rate.server,
      documents: plan.rate,
      batchSize,
      rounds: `warm-up, then restore and insertMany alternately ${RATE_ROUNDS} times; best round of each`,
      archive: 'one snapshot namespace + one segment of updates (every 50th document), folded by compaction',
      writes: 'into-empty: bulkWrite insertOne, ordered: false (duplicate keys on resume rewritten as replaceOne upserts)',
      memory: 'VmHWM of the `rewind restore` process (bin/rewind.mjs, --json), sampled from /proc every 25 ms and at its report',
      memorySizes: plan.memory,
      memoryGrowth:
        'what grows is the fold: update events after the snapshot (one per 50 documents here) stay buffered until the merge, up to compaction\'s event budget, then spill; the every-document-updated run shows the cap',
      memoryTarget: 'a wire sink in the benchmark process (acknowledges and counts writes, stores nothing); documents counted against the namespace size',
      memoryRestoreSeconds: Object.fromEntries(memory.map((m) => [m.documents, Math.round(m.restoreSeconds * 10) / 10])),
    },
  };
}

/**
 * Benchmark `restore`: documents restored per second (into-empty, from a real
 * archive: a snapshot plus segments folded by compaction, then batched
 * duplicate-safe writes) beside an unordered insertMany of the same documents
 * into an empty collection of the same server, in the same run. Target ratio
 * ≥ 0.8. Also the peak resident memory of the restore (it streams), beside the
 * peak while the baseline holds every document in memory for insertMany.
 *
 * Server: REWIND_BENCH_MONGODB_URI when set, else the local MongoDB wire
 * stand-in (mongo-java-server, in memory) from the test-server install; the
 * figures' params say which. The stand-in is not mongod: its absolute rates
 * say nothing about a real server, only the ratio (same server, same data) does.
 */
import { Double, Int32, Long, deserialize, serialize } from 'bson';
import type { Document } from 'bson';
import { MongoClient } from 'mongodb';
import { EXACT_BSON, position } from '../contracts/index.js';
import { openStateAt } from '../services/restore/archive-state.js';
import { runRestore } from '../services/restore/restore-job.js';
import { TestArchive } from '../test/e2e/restore/test-archive.js';
import { RawEvents } from '../test/e2e/restore/raw-events.js';
import { loadInstallState } from '../test/harness/install-manifest.js';
import { startMongoStandIn } from '../test/harness/local-mongo-stand-in.js';
import type { BenchContext, BenchResult } from './convention.js';
import { peakRss, timed } from './convention.js';

const ROUNDS = 2;

export interface BenchServer {
  uri: string;
  description: string;
  stop: () => Promise<void>;
}

/** The server a benchmark runs against: REWIND_BENCH_MONGODB_URI, else the local wire stand-in. */
export async function benchServer(): Promise<BenchServer> {
  const env = process.env.REWIND_BENCH_MONGODB_URI;
  if (env) return { uri: env, description: 'REWIND_BENCH_MONGODB_URI', stop: () => Promise.resolve() };
  const installed = (await loadInstallState()).server('mongo-java-server');
  if (!installed.ok) throw new Error(`no MongoDB for the benchmark: set REWIND_BENCH_MONGODB_URI or install the stand-in (${installed.reason})`);
  const running = await startMongoStandIn(installed);
  return { uri: running.server.uri, description: `mongo-java-server ${running.server.version} (MongoDB wire stand-in, in memory; not mongod)`, stop: running.stop };
}

export function benchDocument(i: number): Document {
  return {
    _id: new Int32(i),
    sku: `sku-${(i * 7919) % 1_000_003}`,
    qty: new Int32(i % 100),
    price: new Double((i % 1000) / 7),
    total: Long.fromNumber(i * 1_000_003),
    customer: { name: `customer ${i}`, tier: new Int32(i % 4), since: new Date(1_714_564_800_000 + i) },
    tags: ['a', 'b', 'c'],
    note: 'x'.repeat(80),
  };
}

/** The document i as it is at the archive's end: every 50th one was updated by an event. */
export function finalBenchDocument(i: number): Document {
  const d = benchDocument(i);
  if (i % 50 === 0) d.qty = new Int32(-1);
  return d;
}

/**
 * An archive holding `count` documents in shop.orders: a snapshot plus a
 * segment of updates (every 50th document) folded on restore. Documents are
 * generated from their index, so nothing big stays in memory.
 */
export async function benchArchive(count: number): Promise<TestArchive> {
  const archive = await TestArchive.create('bench');
  await archive.initialSnapshotFrom(position(1_767_300_000, 0, 0), 'shop.orders', count, benchDocument);
  const raw = new RawEvents(1_767_300_001, 'shop');
  for (let i = 0; i < count; i += 50) archive.add(raw.one(raw.set('orders', new Int32(i), { qty: new Int32(-1) })));
  await archive.flush();
  return archive;
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  // The stand-in keeps every write in its never-truncated in-memory oplog (1 GB heap): at 100k
  // documents restored and inserted twice each it runs out of memory and drops the connection.
  const count = ctx.quick ? 10_000 : 30_000;
  const batchSize = 1000;
  const server = await benchServer();
  const client = new MongoClient(server.uri);
  const archive = await benchArchive(count);
  try {
    await client.connect();
    const db = client.db(`rewind_bench_restore_${process.pid}`);
    await db.dropDatabase();
    const catalog = await archive.catalog();

    // Warm-up (the server's JIT and allocations), then two rounds of each; the best round counts.
    await db.collection('warmup').insertMany(Array.from({ length: 5000 }, (_, i) => benchDocument(i)), { ordered: false });
    const restoreOnce = (coll: string) =>
      peakRss(async () =>
        timed(async () => {
          const state = await openStateAt({ store: archive.store, catalog, target: { kind: 'latest' } });
          try {
            await runRestore({
              state,
              client,
              inPlace: false,
              confirmSource: false,
              mode: 'into-empty',
              dryRun: false,
              namespaces: [],
              mappings: [{ from: 'shop.orders', to: `${db.databaseName}.${coll}` }],
              jobDir: null,
              batchSize,
            });
          } finally {
            await state.close();
          }
        }),
      );
    // Baseline: the same final documents, decoded exactly as restore decodes them, held in memory.
    const baselineOnce = (coll: string) => {
      const docs: Document[] = Array.from({ length: count }, (_, i) => deserialize(serialize(finalBenchDocument(i)), EXACT_BSON));
      return peakRss(async () =>
        timed(async () => {
          for (let i = 0; i < docs.length; i += batchSize) await db.collection(coll).insertMany(docs.slice(i, i + batchSize), { ordered: false });
        }),
      );
    };
    // The machine may be shared: alternate rounds so that load hits both sides alike.
    const restored = [];
    const baseline = [];
    for (let round = 1; round <= ROUNDS; round++) {
      restored.push(await restoreOnce(`restored${round}`));
      const got = await db.collection(`restored${round}`).countDocuments();
      if (got !== count) throw new Error(`restore wrote ${got} documents, expected ${count}`);
      await db.collection(`restored${round}`).drop();
      baseline.push(await baselineOnce(`baseline${round}`));
      await db.collection(`baseline${round}`).drop();
    }
    for (const [what, runs] of [['restore', restored], ['insertMany', baseline]] as const) ctx.log(`${what}: ${count} docs in ${runs.map((r) => r.result.toFixed(2)).join(' s, ')} s`);
    await db.dropDatabase();
    const best = (runs: { result: number }[]) => Math.min(...runs.map((r) => r.result));
    const peak = (runs: { peakRssBytes: number }[]) => Math.max(...runs.map((r) => r.peakRssBytes));

    const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
    return {
      figures: [
        {
          metric: 'restore into-empty',
          unit: 'docs/s',
          value: Math.round(count / best(restored)),
          baseline: { what: 'unordered insertMany of the same documents, same server', value: Math.round(count / best(baseline)) },
          target: '>= 0.8',
        },
        {
          metric: 'restore peak RSS',
          unit: 'MB',
          value: mb(peak(restored)),
          baseline: { what: 'peak RSS of the baseline holding every document in memory', value: mb(peak(baseline)) },
          lowerIsBetter: true,
        },
      ],
      params: {
        server: server.description,
        documents: count,
        batchSize,
        rounds: `warm-up, then restore and insertMany alternately ${ROUNDS} times; best round of each`,
        archive: 'one snapshot namespace + one segment of updates (every 50th document), folded by compaction',
        writes: 'into-empty: bulkWrite insertOne, ordered: false (duplicate keys on resume rewritten as replaceOne upserts)',
      },
    };
  } finally {
    await client.close();
    await archive.remove();
    await server.stop();
  }
}

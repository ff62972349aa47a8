/**
 * The rate half of bench/restore.ts: the same `count` documents restored
 * (into-empty, in this process, timed from opening the state at T to the last
 * acknowledged write) and inserted with unordered insertMany into empty
 * collections of the same server, alternately.
 */
import { deserialize, serialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { MongoClient } from 'mongodb';
import { EXACT_BSON } from '../../contracts/index.js';
import { openStateAt } from '../../services/restore/archive-state.js';
import { runRestore } from '../../services/restore/restore-job.js';
import type { BenchContext } from '../convention.js';
import { timed } from '../convention.js';
import { benchArchive, benchDocument, finalBenchDocument } from './bench-data.js';
import { benchServer } from './bench-server.js';

export const RATE_ROUNDS = 2;

export interface RateRun {
  server: string;
  /** Best round of each, seconds. */
  restoreSeconds: number;
  baselineSeconds: number;
}

export async function restoreRate(ctx: BenchContext, count: number, heap: string, batchSize: number): Promise<RateRun> {
  const server = await benchServer(heap);
  const client = new MongoClient(server.uri);
  const archive = await benchArchive(count);
  try {
    await client.connect();
    const db = client.db(`rewind_bench_restore_${process.pid}`);
    await db.dropDatabase();
    const catalog = await archive.catalog();
    const expectCount = async (coll: string) => {
      const got = await db.collection(coll).countDocuments();
      if (got !== count) throw new Error(`${coll} holds ${got} documents, expected ${count}`);
    };

    // Warm-up (the server's JIT and allocations), then rounds of each; the best round counts.
    await db.collection('warmup').insertMany(Array.from({ length: 5000 }, (_, i) => benchDocument(i)), { ordered: false });
    const restoreOnce = (coll: string) =>
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
      });
    // Baseline: the same final documents, decoded exactly as restore decodes them, held in memory.
    const baselineOnce = (coll: string) => {
      const docs: Document[] = Array.from({ length: count }, (_, i) => deserialize(serialize(finalBenchDocument(i)), EXACT_BSON));
      return timed(async () => {
        for (let i = 0; i < docs.length; i += batchSize) await db.collection(coll).insertMany(docs.slice(i, i + batchSize), { ordered: false });
      });
    };
    // The machine may be shared: alternate rounds so that load hits both sides alike.
    const restored: number[] = [];
    const baseline: number[] = [];
    for (let round = 1; round <= RATE_ROUNDS; round++) {
      restored.push(await restoreOnce(`restored${round}`));
      await expectCount(`restored${round}`);
      await db.collection(`restored${round}`).drop();
      baseline.push(await baselineOnce(`baseline${round}`));
      await expectCount(`baseline${round}`);
      await db.collection(`baseline${round}`).drop();
    }
    for (const [what, runs] of [['restore', restored], ['insertMany', baseline]] as const) ctx.log(`${what}: ${count} docs in ${runs.map((r) => r.toFixed(2)).join(' s, ')} s`);

    await db.dropDatabase();
    return { server: server.description, restoreSeconds: Math.min(...restored), baselineSeconds: Math.min(...baseline) };
  } finally {
    await client.close();
    await archive.remove();
    await server.stop();
  }
}

/**
 * The rate half of bench/restore.ts: the same `count` documents restored
 * (into-empty, in this process, timed from opening the state at T to the last
 * acknowledged write) and inserted with unordered insertMany into empty
 * collections of the same server, alternately.
 */
import { deserialize, serialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { BSON, MongoClient } from 'mongodb';
import { documentForDriver } from '../../services/restore/driver-document.js';
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
  /**
   * Of the restore's work, the part that turns the archive's bytes into values for the driver
   * (documentForDriver) and the driver's serializing them back to bytes, measured over the same documents
   * in this process: the cost of the driver having no way to write a document given as bytes.
   */
  decodeSeconds: number;
  encodeSeconds: number;
}

/** Best of three: decode every document's bytes for the driver, then the driver's own serialize of those values. */
function codecSeconds(count: number): { decodeSeconds: number; encodeSeconds: number } {
  const bytes = Array.from({ length: count }, (_, i) => serialize(finalBenchDocument(i)));
  let decodeSeconds = Infinity;
  let encodeSeconds = Infinity;
  for (let round = 0; round < 3; round++) {
    let t = performance.now();
    const values = bytes.map((b) => documentForDriver(b));
    decodeSeconds = Math.min(decodeSeconds, (performance.now() - t) / 1000);
    t = performance.now();
    let n = 0;
    for (const v of values) n += BSON.serialize(v).length;
    encodeSeconds = Math.min(encodeSeconds, (performance.now() - t) / 1000);
    if (n === 0) throw new Error('nothing serialized');
  }
  return { decodeSeconds, encodeSeconds };
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
    const codec = codecSeconds(count);
    ctx.log(`decode for the driver ${codec.decodeSeconds.toFixed(2)} s, driver serialize ${codec.encodeSeconds.toFixed(2)} s (${count} docs)`);
    return { server: server.description, restoreSeconds: Math.min(...restored), baselineSeconds: Math.min(...baseline), ...codec };
  } finally {
    await client.close();
    await archive.remove();
    await server.stop();
  }
}

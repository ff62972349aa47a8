/**
 * Benchmark `diff`: documents compared per second by `rewind diff` (the state
 * at T folded from a real archive, merged in key order with the live
 * collection read as raw BSON, `find().sort({_id: 1})` with a batch size)
 * beside a plain sorted scan of the same live collection with the same batch
 * size, in the same run. Target ratio ≥ 0.5.
 *
 * The live copy differs from the archive in 1% of its documents (missing,
 * changed, extra), so the comparison does real work on every path.
 * Server: as bench/restore.ts (REWIND_BENCH_MONGODB_URI, else the wire
 * stand-in; params say which).
 */
import { Int32 } from '../contracts/bson.js';
import type { Document } from 'bson';
import { MongoClient } from 'mongodb';
import { openStateAt } from '../services/restore/archive-state.js';
import { diffNamespace } from '../services/restore/diff.js';
import type { BenchContext, BenchResult } from './convention.js';
import { timed } from './convention.js';
import { benchArchive, finalBenchDocument } from './support/bench-data.js';
import { benchServer } from './support/bench-server.js';

const ROUNDS = 3;

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const count = ctx.quick ? 20_000 : 200_000;
  const batchSize = 1000;
  const server = await benchServer();
  const client = new MongoClient(server.uri);
  const archive = await benchArchive(count);
  try {
    await client.connect();
    const db = client.db(`rewind_bench_diff_${process.pid}`);
    await db.dropDatabase();
    const live = db.collection('orders');
    for (let i = 0; i < count; i += batchSize) {
      const docs: Document[] = [];
      for (let j = i; j < Math.min(count, i + batchSize); j++) {
        if (j % 300 === 7) continue; // missing live
        const d = finalBenchDocument(j);
        if (j % 300 === 11) d.qty = new Int32(12345); // diverged
        docs.push(d);
      }
      if (i % 30_000 === 0) docs.push({ _id: `extra-${i}`, note: 'unexpected' }); // unexpected
      await live.insertMany(docs, { ordered: false });
    }
    const catalog = await archive.catalog();

    const scanOnce = () =>
      timed(async () => {
        let n = 0;
        for await (const raw of live.find({}, { sort: { _id: 1 }, batchSize, raw: true })) n += (raw as unknown as Uint8Array).byteLength > 0 ? 1 : 0;
        if (n === 0) throw new Error('empty scan');
      });
    let lastCounts: Record<string, number> = {};
    const diffOnce = () =>
      timed(async () => {
        const state = await openStateAt({ store: archive.store, catalog, target: { kind: 'latest' } });
        try {
          const report = await diffNamespace({ source: state.namespace('shop.orders'), position: state.position, live, batchSize });
          lastCounts = report.counts;
        } finally {
          await state.close();
        }
      });
    await scanOnce(); // warm-up
    const diffs: number[] = [];
    const scans: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      diffs.push(await diffOnce());
      scans.push(await scanOnce());
    }
    ctx.log(`diff: ${diffs.map((s) => s.toFixed(2)).join(' s, ')} s; scan: ${scans.map((s) => s.toFixed(2)).join(' s, ')} s; counts ${JSON.stringify(lastCounts)}`);
    const expectedMissing = Math.floor((count - 8) / 300) + 1;
    if (lastCounts.missing !== expectedMissing) throw new Error(`diff found ${lastCounts.missing} missing, expected ${expectedMissing}`);
    await db.dropDatabase();
    return {
      figures: [
        {
          metric: 'diff documents compared',
          unit: 'docs/s',
          value: Math.round(count / Math.min(...diffs)),
          baseline: { what: 'plain find().sort({_id: 1}) raw scan of the same live collection, same batch size', value: Math.round(count / Math.min(...scans)) },
          target: '>= 0.5',
        },
      ],
      params: {
        server: server.description,
        documents: count,
        batchSize,
        differences: 'about 1% of keys missing, 1% diverged, a few unexpected',
        archive: 'one snapshot namespace + one segment of updates, folded by compaction (included in the diff time)',
        rounds: `warm-up scan, then diff and scan alternately ${ROUNDS} times; best round of each`,
      },
    };
  } finally {
    await client.close();
    await archive.remove();
    await server.stop();
  }
}

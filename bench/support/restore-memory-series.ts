/**
 * The memory half of bench/restore.ts: dry-runs at growing namespace sizes
 * against an empty collection of one server, and one real restore at a size
 * the stand-in can hold, into a server of its own started with the heap that
 * size needs (the stand-in keeps every document and its never-truncated oplog
 * on the Java heap, about 11 KB per document here), stopped right after so it
 * holds that memory only while it is measured. The real restore reads the
 * archive of the same-sized dry-run, so the two compare directly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import type { BenchContext } from '../convention.js';
import { benchArchive } from './bench-data.js';
import { benchServer } from './bench-server.js';
import { dryRunMemory, writeMemory } from './restore-memory.js';
import type { MemoryRun, MemoryTarget } from './restore-memory.js';

export interface MemoryPlan {
  /** Dry-run sizes, smallest first (an update per 50 documents after the snapshot). */
  dryRun: number[];
  /** Size of the real restore. */
  write: number;
  /** Java heap of the stand-in the real restore writes into. */
  writeHeap: string;
  /** A dry-run whose every document was updated after the snapshot (the fold's event buffer at its cap), or null. */
  denseUpdates: number | null;
  batchSize: number;
}

export interface MemorySeries {
  dryRuns: MemoryRun[];
  dense: MemoryRun | null;
  write: MemoryRun;
  dryRunServer: string;
  writeServer: { name: string; description: string };
  /** Seconds to build each archive (not part of any figure). */
  archiveSeconds: Record<string, number>;
}

const mb = (b: number) => (b / 1048576).toFixed(1);

export async function memorySeries(ctx: BenchContext, plan: MemoryPlan): Promise<MemorySeries> {
  const db = `rewind_bench_restore_memory_${process.pid}`;
  const server = await benchServer();
  const client = new MongoClient(server.uri);
  const jobDir = await mkdtemp(join(tmpdir(), 'rewind-bench-jobs-'));
  const dryRuns: MemoryRun[] = [];
  const archiveSeconds: Record<string, number> = {};
  let write: MemoryRun | null = null;
  let writeServer: MemorySeries['writeServer'] | null = null;

  const withArchive = async (count: number, updateEvery: number, label: string, use: (root: string) => Promise<void>) => {
    const started = Date.now();
    const archive = await benchArchive(count, updateEvery);
    archiveSeconds[label] = (Date.now() - started) / 1000;
    try {
      await use(archive.root);
    } finally {
      await archive.remove();
    }
  };

  const writeInto = async (root: string, count: number) => {
    const own = await benchServer(plan.writeHeap);
    const ownClient = new MongoClient(own.uri);
    try {
      await ownClient.connect();
      await ownClient.db(db).dropDatabase();
      const run = await writeMemory({ uri: own.uri, client: ownClient, db }, root, count, plan.batchSize, jobDir);
      ctx.log(`restore into ${own.name}: ${count} docs, peak RSS ${mb(run.peakRssBytes)} MB, ${run.seconds.toFixed(1)} s`);
      await ownClient.db(db).dropDatabase();
      return { run, server: { name: own.name, description: own.description } };
    } finally {
      await ownClient.close();
      await own.stop();
    }
  };

  try {
    await client.connect();
    await client.db(db).dropDatabase();
    const target: MemoryTarget = { uri: server.uri, client, db };
    const sizes = [...new Set([...plan.dryRun, plan.write])].sort((a, b) => a - b);
    for (const count of sizes) {
      await withArchive(count, 50, String(count), async (root) => {
        if (plan.dryRun.includes(count)) {
          const run = await dryRunMemory(target, root, count, plan.batchSize);
          ctx.log(`dry-run (no writes): ${count} docs, peak RSS ${mb(run.peakRssBytes)} MB, ${run.seconds.toFixed(1)} s (archive built in ${archiveSeconds[String(count)]?.toFixed(1)} s)`);
          dryRuns.push(run);
        }
        if (count === plan.write) ({ run: write, server: writeServer } = await writeInto(root, count));
      });
    }
    let dense: MemoryRun | null = null;
    if (plan.denseUpdates !== null) {
      const count = plan.denseUpdates;
      await withArchive(count, 1, `${count} every document updated`, async (root) => {
        dense = await dryRunMemory(target, root, count, plan.batchSize);
        ctx.log(`dry-run (no writes), every document updated: ${count} docs, peak RSS ${mb(dense.peakRssBytes)} MB, ${dense.seconds.toFixed(1)} s`);
      });
    }
    if (!write || !writeServer) throw new Error('the real restore did not run');
    return { dryRuns, dense, write, dryRunServer: server.description, writeServer, archiveSeconds };
  } finally {
    await client.db(db).dropDatabase().catch(() => undefined);
    await client.close();
    await server.stop();
    await rm(jobDir, { recursive: true, force: true });
  }
}

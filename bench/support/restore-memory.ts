/**
 * Peak resident memory of `rewind restore` (the process, not this one) for a
 * namespace of `count` documents, written into a wire sink that acknowledges
 * and counts them: the stand-in would need gigabytes of Java heap per million
 * documents, while what is measured here is the restore's own memory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArchive } from './bench-data.js';
import { runRestoreProcess } from './restore-process.js';
import { startWireSink } from './wire-sink.js';

export interface MemoryRun {
  documents: number;
  updateEvery: number;
  peakRssBytes: number;
  /** Building the archive (not the restore). */
  archiveSeconds: number;
  /** Whole `rewind restore` process into the sink; no server rate, just how long it took. */
  restoreSeconds: number;
}

/** `updateEvery`: one update event per that many documents, folded by the restore (its buffer grows with them, to a cap). */
export async function restoreMemoryAt(count: number, batchSize: number, updateEvery = 50): Promise<MemoryRun> {
  const archiveStarted = Date.now();
  const archive = await benchArchive(count, updateEvery);
  const archiveSeconds = (Date.now() - archiveStarted) / 1000;
  const sink = await startWireSink();
  const jobDir = await mkdtemp(join(tmpdir(), 'rewind-bench-jobs-'));
  try {
    const run = await runRestoreProcess([
      '--archive', archive.root,
      '--target', sink.uri,
      '--ns-from', 'shop.orders',
      '--ns-to', 'bench.orders',
      '--mode', 'into-empty',
      '--batch-size', String(batchSize),
      '--job-dir', jobDir,
    ]);
    const acknowledged = sink.inserted.get('bench.orders') ?? 0;
    if (run.report.totals.inserted !== count || acknowledged !== count) {
      throw new Error(`restore into the sink reported ${run.report.totals.inserted} and wrote ${acknowledged} documents, expected ${count}`);
    }
    return { documents: count, updateEvery, peakRssBytes: run.peakRssBytes, archiveSeconds, restoreSeconds: run.seconds };
  } finally {
    await sink.stop();
    await archive.remove();
    await rm(jobDir, { recursive: true, force: true });
  }
}

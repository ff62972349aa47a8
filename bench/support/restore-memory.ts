/**
 * Peak resident memory of `rewind restore` processes (not this one) over a
 * bench archive, against a real MongoDB (the wire stand-in, or
 * REWIND_BENCH_MONGODB_URI):
 *
 * - dry-run, at any size: `--mode overwrite --dry-run` against an empty
 *   target collection. The process folds the snapshot and segments, reads the
 *   live target in key order (a real sorted cursor that comes back empty) and
 *   classifies every document — each one passes through the fold and the
 *   merge, checked by the report's counts. It writes nothing, so the stand-in
 *   holds nothing and sizes of millions are possible. What it leaves out is
 *   the write path: decoding each document for the driver and the batches in
 *   flight.
 * - write, at a size the stand-in can hold: a real into-empty restore, every
 *   document counted in the collection afterwards.
 */
import type { MongoClient } from 'mongodb';
import { runRestoreProcess } from './restore-process.js';

export interface MemoryRun {
  documents: number;
  peakRssBytes: number;
  /** The whole `rewind restore` process, start-up included. */
  seconds: number;
}

export interface MemoryTarget {
  uri: string;
  client: MongoClient;
  /** Database the runs restore into (each run its own collection). */
  db: string;
}

const common = (archiveRoot: string, batchSize: number) => ['--archive', archiveRoot, '--ns-from', 'shop.orders', '--batch-size', String(batchSize)];

export async function dryRunMemory(target: MemoryTarget, archiveRoot: string, count: number, batchSize: number): Promise<MemoryRun> {
  const name = `dry_${count}`;
  const collection = target.client.db(target.db).collection(name);
  if ((await collection.countDocuments()) !== 0) throw new Error(`${target.db}.${name} is not empty: the dry-run would not classify every document as an insert`);
  const run = await runRestoreProcess([...common(archiveRoot, batchSize), '--target', target.uri, '--ns-to', `${target.db}.${name}`, '--mode', 'overwrite', '--dry-run']);
  const t = run.report.totals;
  // Every document must have gone through the fold and the merge: the report counts each one it classified.
  if (!run.report.dryRun || t.inserted !== count || t.replaced + t.deleted + t.unchanged + t.kept !== 0) {
    throw new Error(`dry-run of ${count} documents reported ${JSON.stringify(run.report.totals)} (dryRun ${String(run.report.dryRun)})`);
  }
  const written = await collection.countDocuments();
  if (written !== 0) throw new Error(`the dry-run wrote ${written} documents`);
  return { documents: count, peakRssBytes: run.peakRssBytes, seconds: run.seconds };
}

export async function writeMemory(target: MemoryTarget, archiveRoot: string, count: number, batchSize: number, jobDir: string): Promise<MemoryRun> {
  const name = `write_${count}`;
  const collection = target.client.db(target.db).collection(name);
  const run = await runRestoreProcess([...common(archiveRoot, batchSize), '--target', target.uri, '--ns-to', `${target.db}.${name}`, '--mode', 'into-empty', '--job-dir', jobDir]);
  const held = await collection.countDocuments();
  if (run.report.dryRun || run.report.totals.inserted !== count || held !== count) {
    throw new Error(`restore of ${count} documents reported ${run.report.totals.inserted} inserted; the collection holds ${held}`);
  }
  await collection.drop();
  return { documents: count, peakRssBytes: run.peakRssBytes, seconds: run.seconds };
}

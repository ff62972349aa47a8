/**
 * One restore as the fault suite runs it: a real `rewind restore` process
 * (bin/rewind.mjs) into a fresh database, SIGKILLed at moments the suite
 * picks and started again with the same job id and options until it
 * finishes; then the database is read back raw and compared with the
 * workload's true state, byte for byte, collection by collection.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MongoClient } from 'mongodb';
import { formatPosition } from '../../../contracts/index.js';
import { expectedContents, readBack } from '../restore/compare-state.js';
import type { Checkpoint } from './fault-workload.js';
import { SOURCE_DB } from './fault-workload.js';

const REWIND = fileURLToPath(new URL('../../../bin/rewind.mjs', import.meta.url));

export interface RestoreRun {
  kills: number;
  /** Kills that came after the job had begun writing (a namespace prepared in its state file). */
  killsWhileWriting: number;
  /** How long the finishing run took (ms). */
  finishMs: number;
  attempts: number;
  /** The finishing run continued a job a killed run had started. */
  resumed: boolean;
  /** What differs from the truth; empty when the restore is byte-identical. */
  problems: string[];
}

interface Attempt {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function attempt(args: readonly string[], killAfterMs: number | null): Promise<Attempt & { ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [REWIND, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-6_000)));
    const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Whether the job's state file records a namespace prepared for writing (a kill then lands mid-restore). */
async function jobHasWritten(stateFile: string): Promise<boolean> {
  try {
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { namespaces?: Record<string, { prepared?: boolean }> };
    return Object.values(state.namespaces ?? {}).some((n) => n.prepared === true);
  } catch {
    return false; // not written yet (killed before the job began)
  }
}

/** Compares the restored database with the truth: collections, document bytes (sorted), index names. */
export async function compareWithTruth(client: MongoClient, db: string, checkpoint: Checkpoint): Promise<string[]> {
  const at = formatPosition(checkpoint.position);
  const got = await readBack(client, db);
  const want = expectedContents(checkpoint.truth, SOURCE_DB);
  const problems: string[] = [];
  const names = (m: Map<string, unknown>) => [...m.keys()].sort().join(',');
  if (names(got) !== names(want)) problems.push(`at ${at}: collections ${names(got)} instead of ${names(want)}`);
  for (const [coll, w] of want) {
    const g = got.get(coll);
    if (!g) continue;
    if (g.docs.length !== w.docs.length) problems.push(`at ${at}: ${coll} has ${g.docs.length} documents instead of ${w.docs.length}`);
    else if (g.docs.some((d, i) => !d.equals(w.docs[i] as Buffer))) problems.push(`at ${at}: ${coll} documents differ in their bytes`);
    if (g.indexes.join(',') !== w.indexes.join(',')) problems.push(`at ${at}: ${coll} indexes ${g.indexes.join(',')} instead of ${w.indexes.join(',')}`);
  }
  return problems;
}

export async function restoreUnderKills(o: {
  client: MongoClient;
  archiveDir: string;
  jobDir: string;
  targetUri: string;
  checkpoint: Checkpoint;
  db: string;
  /** Milliseconds until the next kill, or null to let the attempt finish. */
  nextKill: (attempt: number) => number | null;
  onKill?: (whileWriting: boolean) => void;
}): Promise<RestoreRun> {
  const args = [
    'restore',
    '--archive', o.archiveDir,
    '--to-position', formatPosition(o.checkpoint.position),
    '--target', o.targetUri,
    '--ns-from', `${SOURCE_DB}.*`,
    '--ns-to', `${o.db}.*`,
    '--job', o.db,
    '--job-dir', o.jobDir,
    '--batch-size', '50',
    '--json',
  ];
  let kills = 0;
  let killsWhileWriting = 0;
  for (let n = 0; ; n++) {
    const a = await attempt(args, o.nextKill(n));
    if (a.signal === 'SIGKILL') {
      const writing = await jobHasWritten(join(o.jobDir, `${o.db}.json`));
      kills += 1;
      if (writing) killsWhileWriting += 1;
      o.onKill?.(writing);
      continue;
    }
    if (a.code !== 0) {
      return { kills, killsWhileWriting, finishMs: a.ms, attempts: n + 1, resumed: false, problems: [`restore of ${formatPosition(o.checkpoint.position)} (attempt ${n + 1}, after ${kills} kills) exited ${a.code ?? a.signal}: ${a.stdout.slice(-2_000)}${a.stderr}`] };
    }
    const report = JSON.parse(a.stdout) as { resumed?: boolean };
    const problems = await compareWithTruth(o.client, o.db, o.checkpoint);
    await o.client.db(o.db).dropDatabase();
    return { kills, killsWhileWriting, finishMs: a.ms, attempts: n + 1, resumed: report.resumed === true, problems };
  }
}

/**
 * Runs `rewind restore` as its own process (the real command, as an operator
 * runs it) and samples its peak resident memory: VmHWM from /proc, which the
 * kernel keeps as a high-water mark, so sampling only has to catch its last
 * value before the process exits. The benchmark process's own memory (archive
 * building, the baseline's documents) never counts.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REWIND = fileURLToPath(new URL('../../bin/rewind.mjs', import.meta.url));

export interface RestoreProcessResult {
  /** Wall time of the whole process (start-up and the fold included), seconds. */
  seconds: number;
  peakRssBytes: number;
  /** The restore's --json report (the parts benchmarks check). */
  report: { dryRun: boolean; totals: { inserted: number; replaced: number; deleted: number; unchanged: number; kept: number }; durationMs: number };
}

function vmHwmBytes(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null; // exited between samples
  }
}

export async function runRestoreProcess(args: readonly string[], everyMs = 25): Promise<RestoreProcessResult> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [REWIND, 'restore', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start rewind restore');
  let peak = 0;
  const sample = () => {
    const v = vmHwmBytes(pid);
    if (v !== null) peak = Math.max(peak, v);
  };
  const timer = setInterval(sample, everyMs);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  // The report is the last thing it prints: sampling then reads the mark at the very end.
  child.stdout.on('data', sample);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  clearInterval(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`rewind restore exited ${code}: ${stderr.slice(-2000)}${stdout.slice(-2000)}`);
  if (peak === 0) throw new Error('rewind restore exited before its memory could be sampled');
  return { seconds, peakRssBytes: peak, report: JSON.parse(stdout) as RestoreProcessResult['report'] };
}

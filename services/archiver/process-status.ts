/**
 * Running capture processes publish their live status (lifecycle state,
 * source reachability, open segment, copy progress) to a small JSON file in
 * the archive's `.status/` folder, refreshed every second, so that
 * `rewind status` can show what the catalog alone cannot. Written by rename,
 * so a reader never sees half a file; stale once `updatedAt` stops moving.
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const STATUS_DIR = '.status';

export interface ProcessStatus {
  process: 'up' | 'collect' | 'archive';
  pid: number;
  startedAt: string;
  updatedAt: string;
  collector?: unknown;
  archiver?: unknown;
}

export async function writeProcessStatus(dir: string, status: ProcessStatus): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${status.process}.json`);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(status, null, 2)}\n`);
  await rename(temp, file);
}

const PROCESSES: ReadonlySet<string> = new Set(['up', 'collect', 'archive']);

/** The status in `value`, or null when it is not one (a damaged or foreign file: `null`, an array, fields missing). */
export function asProcessStatus(value: unknown): ProcessStatus | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.process !== 'string' || !PROCESSES.has(v.process) || typeof v.pid !== 'number') return null;
  if (typeof v.startedAt !== 'string' || typeof v.updatedAt !== 'string' || Number.isNaN(Date.parse(v.updatedAt))) return null;
  return value as ProcessStatus;
}

export interface ProcessStatusRead {
  statuses: ProcessStatus[];
  /** Status files that do not hold a status: named, so one bad file never hides the others. */
  unreadable: { file: string; problem: string }[];
}

export async function readProcessStatusFiles(dir: string): Promise<ProcessStatusRead> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { statuses: [], unreadable: [] };
  }
  const read: ProcessStatusRead = { statuses: [], unreadable: [] };
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // replaced or removed right now: the next read sees it
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      read.unreadable.push({ file, problem: 'not JSON' });
      continue;
    }
    const status = asProcessStatus(parsed);
    if (status) read.statuses.push(status);
    else read.unreadable.push({ file, problem: 'not a process status (needs process, pid, startedAt, updatedAt)' });
  }
  return read;
}

export async function readProcessStatuses(dir: string): Promise<ProcessStatus[]> {
  return (await readProcessStatusFiles(dir)).statuses;
}

/** Refreshes the status file every second until stopped; the last write happens on stop. */
export function startStatusWriter(dir: string, snapshot: () => Omit<ProcessStatus, 'pid' | 'startedAt' | 'updatedAt'>): () => Promise<void> {
  const startedAt = new Date().toISOString();
  const write = () => writeProcessStatus(dir, { ...snapshot(), pid: process.pid, startedAt, updatedAt: new Date().toISOString() }).catch(() => undefined);
  void write();
  const timer = setInterval(() => void write(), 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await write();
  };
}

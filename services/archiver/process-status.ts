/**
 * Running capture processes publish their live status (lifecycle state,
 * source reachability, open segment, copy progress) to a small JSON file in
 * the archive's `.status/` folder, refreshed every second, so that
 * `rewind status` can show what the catalog alone cannot. Written by rename,
 * so a reader never sees half a file; stale once `updatedAt` stops moving.
 * An archive on an object store gets the same files as objects under
 * `.status/`, refreshed every 5 s (a request per second per process would
 * cost more than it tells).
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// The modules themselves, not the archive index: `rewind status` loads this and should load no more than it reads.
import { readWhole } from '../archive/blob-store.js';
import type { BlobStore } from '../archive/blob-store.js';

export const STATUS_DIR = '.status';
/** Refresh period of status objects on an object store. */
export const STORE_STATUS_REFRESH_MS = 5000;

/** Where statuses go: a local folder, or the archive's own blob store (an S3 archive). */
export type StatusTarget = string | BlobStore;

export interface ProcessStatus {
  process: 'up' | 'collect' | 'archive';
  pid: number;
  startedAt: string;
  updatedAt: string;
  collector?: unknown;
  archiver?: unknown;
}

export async function writeProcessStatus(target: StatusTarget, status: ProcessStatus): Promise<void> {
  if (typeof target !== 'string') {
    await target.put(`${STATUS_DIR}/${status.process}.json`, Buffer.from(`${JSON.stringify(status, null, 2)}\n`));
    return;
  }
  const dir = target;
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

/** Sorts one status file's text into `read`. */
function take(read: ProcessStatusRead, file: string, text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    read.unreadable.push({ file, problem: 'not JSON' });
    return;
  }
  const status = asProcessStatus(parsed);
  if (status) read.statuses.push(status);
  else read.unreadable.push({ file, problem: 'not a process status (needs process, pid, startedAt, updatedAt)' });
}

export async function readProcessStatusFiles(target: StatusTarget): Promise<ProcessStatusRead> {
  if (typeof target !== 'string') return readStoreStatuses(target);
  const dir = target;
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
    take(read, file, text);
  }
  return read;
}

export async function readProcessStatuses(target: StatusTarget): Promise<ProcessStatus[]> {
  return (await readProcessStatusFiles(target)).statuses;
}

async function readStoreStatuses(store: BlobStore): Promise<ProcessStatusRead> {
  const read: ProcessStatusRead = { statuses: [], unreadable: [] };
  for (const path of (await store.list(`${STATUS_DIR}/`).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort()) {
    let text: string;
    try {
      text = (await readWhole(store, path)).toString('utf8');
    } catch {
      continue; // removed or unreachable right now: the next read sees it
    }
    take(read, store.locate(path), text);
  }
  return read;
}

/** How often statuses are refreshed at `target`; a reader calls one stale after a few missed refreshes. */
export function statusRefreshMs(target: StatusTarget): number {
  return typeof target === 'string' ? 1000 : STORE_STATUS_REFRESH_MS;
}

/** Refreshes the status file (every second; every 5 s on an object store) until stopped; the last write happens on stop. */
export function startStatusWriter(target: StatusTarget, snapshot: () => Omit<ProcessStatus, 'pid' | 'startedAt' | 'updatedAt'>): () => Promise<void> {
  const startedAt = new Date().toISOString();
  const write = () => writeProcessStatus(target, { ...snapshot(), pid: process.pid, startedAt, updatedAt: new Date().toISOString() }).catch(() => undefined);
  void write();
  const timer = setInterval(() => void write(), statusRefreshMs(target));
  timer.unref();
  return async () => {
    clearInterval(timer);
    await write();
  };
}

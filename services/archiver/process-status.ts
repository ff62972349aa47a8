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
import { readWhole } from '../archive/index.js';
import type { BlobStore } from '../archive/index.js';

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

export async function readProcessStatuses(target: StatusTarget): Promise<ProcessStatus[]> {
  if (typeof target !== 'string') return readStoreStatuses(target);
  const dir = target;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: ProcessStatus[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    try {
      out.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as ProcessStatus);
    } catch {
      // A file being replaced right now: the next read sees it.
    }
  }
  return out;
}

async function readStoreStatuses(store: BlobStore): Promise<ProcessStatus[]> {
  const out: ProcessStatus[] = [];
  for (const path of (await store.list(`${STATUS_DIR}/`).catch(() => [] as string[])).filter((n) => n.endsWith('.json'))) {
    try {
      out.push(JSON.parse((await readWhole(store, path)).toString('utf8')) as ProcessStatus);
    } catch {
      // Removed or unreadable right now: the next read sees it.
    }
  }
  return out;
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

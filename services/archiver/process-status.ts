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

export async function readProcessStatuses(dir: string): Promise<ProcessStatus[]> {
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

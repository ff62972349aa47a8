/**
 * Running capture processes publish their live status (lifecycle state,
 * source reachability, open segment, copy progress) to a small JSON file in
 * the archive's `.status/` folder, refreshed every second, so that
 * `rewind status` can show what the catalog alone cannot. Written by rename,
 * so a reader never sees half a file; stale once `updatedAt` stops moving.
 * An archive on an object store gets the same files as objects under
 * `.status/`, refreshed every 5 s (a request per second per process would
 * cost more than it tells).
 *
 * A fresh file is not proof of life: each status names its process as an
 * owner (contracts/process-owner.ts: pid, host, boot id, start time), so a
 * reader on the same host can tell a live process from a dead one or a reused
 * pid at once, and a clean stop is written as `stoppedAt`.
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// The modules themselves, not the archive index: `rewind status` loads this and should load no more than it reads.
import { readWhole } from '../archive/blob-store.js';
import type { BlobStore } from '../archive/blob-store.js';
import { asProcessOwner, currentOwner, ownerLiveness } from '../../contracts/process-owner.js';
import type { OwnerLiveness, ProcessOwner } from '../../contracts/process-owner.js';

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
  /** Who wrote it (absent in files of an older rewind: then only staleness tells). */
  owner?: ProcessOwner;
  /** Set by the last write of a process that stopped cleanly. */
  stoppedAt?: string;
  /** The Kafka log the process uses (collect, archive): `rewind status` reads the archiver group's lag from it. */
  kafka?: { brokers: string[]; topic: string; groupId?: string };
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
  const owner = v.owner === undefined ? null : asProcessOwner(v.owner);
  const status = { ...(value as ProcessStatus) };
  // A damaged owner is dropped, not trusted: liveness then rests on staleness alone.
  if (owner) status.owner = owner;
  else delete status.owner;
  return status;
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

/** Refreshes the status file (every second; every 5 s on an object store) until stopped; the last write, on stop, says so. */
export function startStatusWriter(
  target: StatusTarget,
  snapshot: () => Omit<ProcessStatus, 'pid' | 'startedAt' | 'updatedAt' | 'owner' | 'stoppedAt'>,
): () => Promise<void> {
  const startedAt = new Date().toISOString();
  const owner = currentOwner();
  const write = (stoppedAt?: string) =>
    writeProcessStatus(target, { ...snapshot(), pid: process.pid, owner, startedAt, updatedAt: new Date().toISOString(), ...(stoppedAt ? { stoppedAt } : {}) }).catch(() => undefined);
  void write();
  const timer = setInterval(() => void write(), statusRefreshMs(target));
  timer.unref();
  return async () => {
    clearInterval(timer);
    await write(new Date().toISOString());
  };
}

export type ProcessLiveness =
  /** Alive (the same process: pid, boot and start time match) and refreshing its status. */
  | 'running'
  /** Stopped cleanly (its last write said so). */
  | 'stopped'
  /** Gone without a clean stop: killed, crashed, or the machine rebooted. */
  | 'dead'
  /** Alive but its status has not moved for staleMs: hung or overloaded. */
  | 'hung'
  /** Refreshing, but its pid cannot be checked from here (another host, or a file without an owner): alive as far as can be told. */
  | 'presumed-running'
  /** On another host (or an older rewind's file without an owner) and not refreshing: presumed gone. */
  | 'silent';

/**
 * Whether the process behind `status` runs, as seen from this process at
 * `nowMs`. Never 'running' for a dead process: on this host the pid is
 * checked to be alive and to be the same process (boot id, start time),
 * whatever `updatedAt` says; elsewhere only a status that keeps moving counts.
 */
export function processLiveness(
  status: ProcessStatus,
  nowMs: number,
  staleMs: number,
  liveness: (owner: ProcessOwner) => OwnerLiveness = (o) => ownerLiveness(o),
): ProcessLiveness {
  if (status.stoppedAt !== undefined) return 'stopped';
  const fresh = nowMs - Date.parse(status.updatedAt) < staleMs;
  const seen: OwnerLiveness = status.owner ? liveness(status.owner) : 'unknown';
  if (seen === 'gone') return 'dead';
  if (seen === 'alive') return fresh ? 'running' : 'hung';
  return fresh ? 'presumed-running' : 'silent';
}

/**
 * Who owns a lock file or a scratch folder, and whether that owner can still
 * be running. A pid alone is not enough: in a container the writer is pid 1,
 * and after a SIGKILL the restarted container's own process is pid 1 again,
 * so "pid 1 is alive" said nothing. An owner is therefore its pid, its host,
 * the kernel's boot id and the process's start time (clock ticks since boot,
 * /proc/<pid>/stat field 22): a pid that is alive but started at another
 * time is a reused pid; another boot id on the same host means a reboot
 * since. On another host nothing can be checked from here ('unknown').
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessOwner {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id; absent where there is no /proc. */
  bootId?: string;
  /** The process's start time in clock ticks since boot; absent where there is no /proc. */
  startTicks?: string;
}

export type OwnerLiveness = 'alive' | 'gone' | 'unknown';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'. */
export function processStartTicks(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = fields[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined;
}

let bootId: string | undefined | null = null;
export function currentBootId(): string | undefined {
  if (bootId === null) bootId = readText('/proc/sys/kernel/random/boot_id')?.trim() || undefined;
  return bootId;
}

let self: ProcessOwner | null = null;
/** This process as an owner. */
export function currentOwner(): ProcessOwner {
  if (!self) {
    const bootIdNow = currentBootId();
    const startTicks = processStartTicks(process.pid);
    self = { pid: process.pid, host: hostname(), ...(bootIdNow ? { bootId: bootIdNow } : {}), ...(startTicks ? { startTicks } : {}) };
  }
  return self;
}

/** Reads an owner out of parsed JSON; null when it is not one. */
export function asProcessOwner(value: unknown): ProcessOwner | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.pid !== 'number' || typeof v.host !== 'string') return null;
  return {
    pid: v.pid,
    host: v.host,
    ...(typeof v.bootId === 'string' ? { bootId: v.bootId } : {}),
    ...(typeof v.startTicks === 'string' ? { startTicks: v.startTicks } : {}),
  };
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `owner` may still be running, seen from `here` (this process).
 * `probe` reads a pid's liveness and start time (replaceable in tests).
 */
export function ownerLiveness(
  owner: ProcessOwner,
  here: ProcessOwner = currentOwner(),
  probe: { exists: (pid: number) => boolean; startTicks: (pid: number) => string | undefined } = { exists: pidExists, startTicks: processStartTicks },
): OwnerLiveness {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return 'gone';
  if (owner.host !== here.host) return 'unknown';
  if (owner.bootId && here.bootId && owner.bootId !== here.bootId) return 'gone';
  if (!probe.exists(owner.pid)) return 'gone';
  if (owner.startTicks) {
    const now = probe.startTicks(owner.pid);
    if (now !== undefined && now !== owner.startTicks) return 'gone';
  }
  return 'alive';
}

export function describeOwner(owner: ProcessOwner): string {
  return `pid ${owner.pid} on ${owner.host}`;
}

/**
 * A lock file that keeps a second process from writing the catalog at the
 * same time. Created with O_EXCL, it holds {pid, host, nonce}. A lock whose
 * pid is dead on this host is stale (its writer crashed) and is taken over;
 * a lock held on another host cannot be checked and is never taken.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ArchiveError } from './archive-errors.js';
import { fsyncDir } from './atomic-file.js';
import { basename, dirname, join } from 'node:path';

interface LockContent {
  pid: number;
  host: string;
  nonce: string;
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

/** Whether `pid` is a live process on this host (EPERM: alive, but someone else's). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return errno(err) === 'EPERM';
  }
}

async function readLock(file: string): Promise<LockContent | null> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LockContent>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.nonce === 'string') {
      return parsed as LockContent;
    }
    return { pid: 0, host: hostname(), nonce: 'unreadable' };
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    // Lock files are linked in whole, so unreadable content is damage, not a writer mid-way.
    if (err instanceof SyntaxError) return { pid: 0, host: hostname(), nonce: 'unreadable' };
    throw err;
  }
}

export class WriterLock {
  readonly file: string;
  private readonly relativePath: string;
  private held: LockContent | null = null;

  /** `relativePath` names the lock in messages. */
  constructor(file: string, relativePath: string) {
    this.file = file;
    this.relativePath = relativePath;
  }

  get isHeld(): boolean {
    return this.held !== null;
  }

  /** Takes the lock or throws CATALOG_LOCKED (retryable) naming the holder. */
  async acquire(): Promise<void> {
    if (this.held) return;
    const mine: LockContent = { pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex') };
    // The content is written to a temp file first and linked into place: link
    // fails if the lock exists, and a lock file is never seen half written.
    const temp = join(dirname(this.file), `.${basename(this.file)}.${process.pid}.${mine.nonce}.tmp`);
    await writeFile(temp, JSON.stringify(mine), { flush: true });
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await link(temp, this.file);
          await fsyncDir(dirname(this.file));
          this.held = mine;
          return;
        } catch (err) {
          if (errno(err) !== 'EEXIST') throw err;
        }
        const holder = await readLock(this.file);
        if (!holder) continue; // released meanwhile
        if (holder.host !== mine.host || isAlive(holder.pid)) throw this.locked(holder);
        await this.takeOverStale(holder);
      }
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    const holder = await readLock(this.file);
    throw this.locked(holder ?? { pid: 0, host: 'unknown', nonce: '' });
  }

  /**
   * Moves a stale lock aside. Renaming is atomic, so of two processes taking
   * over the same stale lock only one moves it; if what we moved turns out to
   * be a fresh lock (another process took over first), it is linked back.
   */
  private async takeOverStale(stale: LockContent): Promise<void> {
    const aside = `${this.file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(this.file, aside);
    } catch (err) {
      if (errno(err) === 'ENOENT') return;
      throw err;
    }
    const moved = await readLock(aside);
    if (moved && moved.nonce !== stale.nonce) {
      await link(aside, this.file).catch(() => undefined);
    }
    await unlink(aside).catch(() => undefined);
  }

  /** Removes temp files of would-be holders that died between writing them and linking (pid in the name). */
  async removeDeadTemps(): Promise<void> {
    const prefix = `.${basename(this.file)}.`;
    const names = await readdir(dirname(this.file)).catch(() => [] as string[]);
    for (const name of names) {
      const m = /^\.(?:.*)\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
      if (name.startsWith(prefix) && m && !isAlive(Number(m[1]))) {
        await unlink(join(dirname(this.file), name)).catch(() => undefined);
      }
    }
  }

  async release(): Promise<void> {
    const mine = this.held;
    if (!mine) return;
    this.held = null;
    const current = await readLock(this.file);
    // Only remove our own lock: after a takeover it may belong to someone else.
    if (current && current.nonce === mine.nonce) await unlink(this.file).catch(() => undefined);
  }

  private locked(holder: LockContent): ArchiveError {
    return new ArchiveError('CATALOG_LOCKED', {
      path: this.relativePath,
      location: this.file,
      holderPid: holder.pid,
      holderHost: holder.host,
    });
  }
}

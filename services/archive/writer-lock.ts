/**
 * A lock file that keeps a second process from writing the catalog at the
 * same time. Created with O_EXCL, it holds its owner (pid, host, boot id,
 * process start time: contracts/process-owner.ts) and a nonce. A lock whose
 * owner is gone is stale (its writer crashed) and is taken over: a dead pid,
 * a pid reused by a process started at another time (pid 1 of a restarted
 * container), or another boot. A lock held on another host cannot be checked
 * and is never taken; the error says how to clear it.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { asProcessOwner, currentOwner, ownerLiveness } from '../../contracts/process-owner.js';
import type { OwnerLiveness, ProcessOwner } from '../../contracts/process-owner.js';
import { ArchiveError } from './archive-errors.js';
import { fsyncDir } from './atomic-file.js';
import { basename, dirname, join } from 'node:path';

interface LockContent extends ProcessOwner {
  nonce: string;
}

/** A would-be holder's temp file lives for milliseconds (written, linked, removed): one older than this is a crash's leftover. */
const TEMP_MAX_AGE_MS = 60_000;

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

const UNREADABLE: LockContent = { pid: 0, host: '(unreadable lock)', nonce: 'unreadable' };

function parseLock(text: string): LockContent {
  try {
    const parsed: unknown = JSON.parse(text);
    const owner = asProcessOwner(parsed);
    const nonce = (parsed as { nonce?: unknown } | null)?.nonce;
    return owner && typeof nonce === 'string' ? { ...owner, nonce } : UNREADABLE;
  } catch {
    // Lock files are linked in whole, so unreadable content is damage, not a writer mid-way.
    return UNREADABLE;
  }
}

async function readLock(file: string): Promise<LockContent | null> {
  try {
    return parseLock(await readFile(file, 'utf8'));
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
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
    const mine: LockContent = { ...currentOwner(), nonce: randomBytes(8).toString('hex') };
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
        const liveness = ownerLiveness(holder);
        if (liveness !== 'gone') throw this.locked(holder, liveness);
        await this.takeOverStale(holder);
      }
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    const holder = await readLock(this.file);
    throw this.locked(holder ?? { pid: 0, host: 'unknown', nonce: '' }, 'alive');
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

  /**
   * Removes temp files of would-be holders that died between writing them and
   * linking: their owner is gone, or they are older than any live one can be.
   */
  async removeDeadTemps(): Promise<void> {
    const prefix = `.${basename(this.file)}.`;
    const dir = dirname(this.file);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(prefix) || !/\.\d+\.[0-9a-f]+\.tmp$/.test(name)) continue;
      const path = join(dir, name);
      const [text, info] = await Promise.all([readFile(path, 'utf8').catch(() => ''), stat(path).catch(() => null)]);
      if (!info) continue;
      const owner = parseLock(text);
      const old = Date.now() - info.mtimeMs > TEMP_MAX_AGE_MS;
      if (old || (owner !== UNREADABLE && ownerLiveness(owner) === 'gone')) await unlink(path).catch(() => undefined);
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

  private locked(holder: LockContent, liveness: OwnerLiveness): ArchiveError {
    const foreign = liveness === 'unknown';
    return new ArchiveError(
      'CATALOG_LOCKED',
      {
        path: this.relativePath,
        location: this.file,
        holderPid: holder.pid,
        holderHost: holder.host,
        detail: foreign
          ? `that host is not this one (${currentOwner().host}), so whether it still runs cannot be checked from here: if no rewind process writes this archive there any more, remove ${this.file}`
          : 'it is running; wait for it to finish or stop it',
      },
      // A live writer may finish; a lock of another host stays until someone removes it.
      { retryable: !foreign },
    );
  }
}

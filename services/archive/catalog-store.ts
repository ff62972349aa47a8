/**
 * The catalog file (catalog.json at the archive root): read and validated
 * against contracts/catalog.ts, replaced atomically on every update. One
 * writer at a time: updates inside this process queue up, and a lock file
 * (writer-lock.ts) refuses a second writing process. The catalog being
 * replaced is kept as catalog.prev.json for manual recovery.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CATALOG_FORMAT_VERSION, catalogSchema } from '../../contracts/index.js';
import type { Catalog } from '../../contracts/index.js';
import { ArchiveError, isArchiveError } from './archive-errors.js';
import { isTempName, writeFileAtomic } from './atomic-file.js';
import { WriterLock } from './writer-lock.js';

export const CATALOG_FILE = 'catalog.json';
export const CATALOG_PREVIOUS_FILE = 'catalog.prev.json';
export const CATALOG_LOCK_FILE = 'catalog.lock';

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

export interface CatalogStoreOptions {
  /** How long update() waits for another process's lock before CATALOG_LOCKED. */
  lockWaitMs?: number;
}

/** Parses and validates catalog text; errors name the file and the first bad field. */
export function parseCatalog(text: string, path: string, location: string): Catalog {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ArchiveError('CATALOG_INVALID', { path, location, field: '', detail: 'not valid JSON' }, { cause: err });
  }
  const result = catalogSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ArchiveError(
      'CATALOG_INVALID',
      { path, location, field: issue?.path.map(String).join('.') ?? '', detail: issue?.message ?? 'invalid' },
      { cause: result.error },
    );
  }
  return result.data;
}

export type CatalogUpdate = (draft: Catalog) => Catalog | void | Promise<Catalog | void>;

export class CatalogStore {
  readonly root: string;
  private readonly lock: WriterLock;
  private readonly lockWaitMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private holdLock = false;

  constructor(root: string, options: CatalogStoreOptions = {}) {
    this.root = root;
    this.lock = new WriterLock(join(root, CATALOG_LOCK_FILE), CATALOG_LOCK_FILE);
    this.lockWaitMs = options.lockWaitMs ?? 5000;
  }

  get location(): string {
    return join(this.root, CATALOG_FILE);
  }

  /** The committed catalog; CATALOG_NOT_FOUND when the archive has none yet. */
  async read(): Promise<Catalog> {
    return this.readFile(CATALOG_FILE);
  }

  /** The catalog kept before the last update, if any. */
  async readPrevious(): Promise<Catalog> {
    return this.readFile(CATALOG_PREVIOUS_FILE);
  }

  async exists(): Promise<boolean> {
    try {
      await this.read();
      return true;
    } catch (err) {
      if (isArchiveError(err, 'CATALOG_NOT_FOUND')) return false;
      throw err;
    }
  }

  /**
   * Creates an empty catalog for `sourceId`, or returns the existing one. An
   * archive belongs to one source: another sourceId is CATALOG_CONFLICT.
   */
  async init(sourceId: string): Promise<Catalog> {
    return this.serialized(async () => {
      await mkdir(this.root, { recursive: true });
      return this.withLock(async () => {
        try {
          const existing = await this.read();
          if (existing.sourceId !== sourceId) {
            throw new ArchiveError('CATALOG_CONFLICT', {
              path: CATALOG_FILE,
              location: this.location,
              detail: `the archive belongs to source ${JSON.stringify(existing.sourceId)}, not ${JSON.stringify(sourceId)}`,
            });
          }
          return existing;
        } catch (err) {
          if (!isArchiveError(err, 'CATALOG_NOT_FOUND')) throw err;
        }
        const fresh: Catalog = {
          formatVersion: CATALOG_FORMAT_VERSION,
          sourceId,
          generation: 0,
          updatedAt: new Date().toISOString(),
          snapshots: [],
          segments: [],
          collections: [],
          gaps: [],
        };
        await this.commit(fresh, null);
        return fresh;
      });
    });
  }

  /**
   * Applies `fn` to a copy of the current catalog (it may mutate the draft or
   * return a new one) and commits the result atomically with generation + 1.
   * An invalid result is CATALOG_INVALID and nothing is written.
   */
  async update(fn: CatalogUpdate): Promise<Catalog> {
    return this.serialized(() =>
      this.withLock(async () => {
        // Read inside the lock: another process may have committed since our last read.
        const current = await this.read();
        const draft = structuredClone(current);
        const returned = await fn(draft);
        const next = { ...(returned ?? draft) };
        next.generation = current.generation + 1;
        next.updatedAt = new Date().toISOString();
        const checked = catalogSchema.safeParse(next);
        if (!checked.success) {
          const issue = checked.error.issues[0];
          throw new ArchiveError(
            'CATALOG_INVALID',
            {
              path: CATALOG_FILE,
              location: this.location,
              field: issue?.path.map(String).join('.') ?? '',
              detail: `update rejected, nothing written: ${issue?.message ?? 'invalid'}`,
            },
            { cause: checked.error },
          );
        }
        if (checked.data.sourceId !== current.sourceId) {
          throw new ArchiveError('CATALOG_CONFLICT', {
            path: CATALOG_FILE,
            location: this.location,
            detail: 'an update cannot change sourceId',
          });
        }
        await this.commit(checked.data, current);
        return checked.data;
      }),
    );
  }

  /** Holds the writer lock across updates (a long-running archiver) until release(). */
  async acquire(): Promise<void> {
    await this.serialized(async () => {
      await this.lock.acquire();
      this.holdLock = true;
    });
  }

  async release(): Promise<void> {
    await this.serialized(async () => {
      this.holdLock = false;
      await this.lock.release();
    });
  }

  private async commit(next: Catalog, previous: Catalog | null): Promise<void> {
    if (previous) await this.write(CATALOG_PREVIOUS_FILE, previous);
    await this.write(CATALOG_FILE, next);
  }

  /** Replaces one catalog file atomically; a failure (a full disk) is ARCHIVE_IO_FAILED naming it, the old file intact. */
  private async write(name: string, catalog: Catalog): Promise<void> {
    const location = join(this.root, name);
    try {
      await writeFileAtomic(location, Buffer.from(`${JSON.stringify(catalog, null, 2)}\n`));
    } catch (err) {
      throw new ArchiveError('ARCHIVE_IO_FAILED', { path: name, location, operation: 'write' }, { cause: err });
    }
  }

  private async readFile(name: string): Promise<Catalog> {
    const location = join(this.root, name);
    let text: string;
    try {
      text = await readFile(location, 'utf8');
    } catch (err) {
      if (errno(err) === 'ENOENT') throw new ArchiveError('CATALOG_NOT_FOUND', { path: name, location }, { cause: err });
      throw new ArchiveError('ARCHIVE_IO_FAILED', { path: name, location, operation: 'read' }, { cause: err });
    }
    return parseCatalog(text, name, location);
  }

  /** Runs tasks of this process one after another. */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async withLock<T>(task: () => Promise<T>): Promise<T> {
    if (this.holdLock) return task();
    const deadline = Date.now() + this.lockWaitMs;
    for (;;) {
      try {
        await this.lock.acquire();
        break;
      } catch (err) {
        if (!isArchiveError(err, 'CATALOG_LOCKED') || Date.now() >= deadline) throw err;
        await sleep(20 + Math.random() * 30);
      }
    }
    try {
      await this.removeCrashLeftovers();
      return await task();
    } finally {
      await this.lock.release();
    }
  }

  /**
   * Temp files of catalog writes cut short by a crash. Only a lock holder
   * writes them, so while we hold the lock none of them is in use.
   */
  private async removeCrashLeftovers(): Promise<void> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const name of names) {
      if (isTempName(name) && (name.startsWith(`.${CATALOG_FILE}.`) || name.startsWith(`.${CATALOG_PREVIOUS_FILE}.`))) {
        await rm(join(this.root, name), { force: true });
      }
    }
    await this.lock.removeDeadTemps();
  }
}

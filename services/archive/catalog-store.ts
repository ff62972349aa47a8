/**
 * The catalog: read and validated against contracts/catalog.ts, committed
 * atomically with generation + 1 on every update. One writer at a time:
 * updates inside this process queue up, and the medium's lock refuses a
 * second writing process (a lock file in a folder, a leased lock object on
 * S3: catalog-medium.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CATALOG_FORMAT_VERSION, catalogSchema } from '../../contracts/index.js';
import type { Catalog } from '../../contracts/index.js';
import { ArchiveError, isArchiveError } from './archive-errors.js';
import type { CatalogMedium } from './catalog-medium.js';
import { CATALOG_FILE, CATALOG_LOCK_FILE, CATALOG_PREVIOUS_FILE, FsCatalogMedium } from './fs-catalog-medium.js';

export { CATALOG_FILE, CATALOG_LOCK_FILE, CATALOG_PREVIOUS_FILE };

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
  readonly medium: CatalogMedium;
  private readonly lockWaitMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private holdLock = false;

  /** `root` is an archive folder, or a medium (an object store's, from archive-location.ts). */
  constructor(root: string | CatalogMedium, options: CatalogStoreOptions = {}) {
    this.medium = typeof root === 'string' ? new FsCatalogMedium(root) : root;
    this.lockWaitMs = options.lockWaitMs ?? 5000;
  }

  get root(): string {
    return this.medium.root;
  }

  get location(): string {
    return this.medium.location;
  }

  /** The committed catalog; CATALOG_NOT_FOUND when the archive has none yet. */
  async read(): Promise<Catalog> {
    return this.readText('current');
  }

  /** The catalog kept before the last update, if any. */
  async readPrevious(): Promise<Catalog> {
    return this.readText('previous');
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
      await this.medium.prepare();
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
      await this.medium.lock.acquire();
      this.holdLock = true;
    });
  }

  async release(): Promise<void> {
    await this.serialized(async () => {
      this.holdLock = false;
      await this.medium.lock.release();
    });
  }

  private async commit(next: Catalog, previous: Catalog | null): Promise<void> {
    await this.medium.commit(next, `${JSON.stringify(next, null, 2)}\n`, previous);
  }

  private async readText(which: 'current' | 'previous'): Promise<Catalog> {
    const found = await this.medium.read(which);
    if (!found) {
      const path = which === 'current' ? CATALOG_FILE : CATALOG_PREVIOUS_FILE;
      throw new ArchiveError('CATALOG_NOT_FOUND', { path, location: this.medium.locationOf(which) });
    }
    return parseCatalog(found.text, found.path, found.location);
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
        await this.medium.lock.acquire();
        break;
      } catch (err) {
        if (!isArchiveError(err, 'CATALOG_LOCKED') || Date.now() >= deadline) throw err;
        await sleep(20 + Math.random() * 30);
      }
    }
    try {
      await this.medium.cleanup();
      return await task();
    } finally {
      await this.medium.lock.release();
    }
  }
}

/**
 * The catalog: read and validated against contracts/catalog.ts, committed
 * atomically with generation + 1 on every update. One writer at a time:
 * updates inside this process queue up, and the medium's lock refuses a
 * second writing process (a lock file in a folder, a leased lock object on
 * S3: catalog-medium.ts).
 *
 * The catalog is protected as the files it lists are: the medium holds a
 * checksum of each generation's bytes apart from the catalog (in a folder,
 * catalog.sums.json: fs-catalog-medium.ts), and a catalog whose bytes do not
 * match the sum of its own generation is refused (CATALOG_CHECKSUM_MISMATCH):
 * a hand-edited durable position no longer invents restorable time. An
 * archive written before the sums existed reads as before until its next
 * update adds them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
// The contracts module itself, not its index: `rewind status` loads this, and the index brings avsc.
import { CATALOG_FORMAT_VERSION, catalogSchema } from '../../contracts/catalog.js';
import type { Catalog } from '../../contracts/catalog.js';
import { ArchiveError, isArchiveError } from './archive-errors.js';
import type { CatalogIntegrity, CatalogMedium, CatalogText } from './catalog-medium.js';
import { CATALOG_FILE, CATALOG_LOCK_FILE, CATALOG_PREVIOUS_FILE, CATALOG_SUMS_FILE, FsCatalogMedium } from './fs-catalog-medium.js';

export { CATALOG_FILE, CATALOG_LOCK_FILE, CATALOG_PREVIOUS_FILE, CATALOG_SUMS_FILE };
export type { CatalogIntegrity };

interface RawCatalog {
  catalog: Catalog;
  found: CatalogText;
  integrity: CatalogIntegrity;
}

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

  /** The committed catalog; CATALOG_NOT_FOUND when the archive has none yet, CATALOG_CHECKSUM_MISMATCH when it was changed outside rewind. */
  async read(): Promise<Catalog> {
    return (await this.readRaw('current')).catalog;
  }

  /** The committed catalog, or null when the archive has none yet (a capture starting fresh). */
  async readIfExists(): Promise<Catalog | null> {
    try {
      return await this.read();
    } catch (err) {
      if (isArchiveError(err, 'CATALOG_NOT_FOUND')) return null;
      throw err;
    }
  }

  /** The committed catalog and whether its checksum verified it (`rewind verify` reports it). */
  async readChecked(): Promise<{ catalog: Catalog; integrity: CatalogIntegrity }> {
    const { catalog, integrity } = await this.readRaw('current');
    return { catalog, integrity };
  }

  /** The catalog kept before the last update, if any. */
  async readPrevious(): Promise<Catalog> {
    return (await this.readRaw('previous')).catalog;
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
        const { catalog: current, found: currentText } = await this.readRaw('current');
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
        await this.commit(checked.data, { catalog: current, text: currentText.text });
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

  /** `previous` is the catalog replaced, with the exact text it was read as (its checksum is of those bytes). */
  private async commit(next: Catalog, previous: { catalog: Catalog; text: string } | null): Promise<void> {
    await this.medium.commit(next, `${JSON.stringify(next, null, 2)}\n`, previous);
  }

  private async readRaw(which: 'current' | 'previous'): Promise<RawCatalog> {
    const found = await this.medium.read(which);
    if (!found) {
      const path = which === 'current' ? CATALOG_FILE : CATALOG_PREVIOUS_FILE;
      throw new ArchiveError('CATALOG_NOT_FOUND', { path, location: this.medium.locationOf(which) });
    }
    // Validated first, so a damaged file names its bad field; then held against its sum.
    const catalog = parseCatalog(found.text, found.path, found.location);
    const integrity = await this.medium.verify(found, catalog.generation);
    return { catalog, found, integrity };
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
        if (!isArchiveError(err, 'CATALOG_LOCKED') || !err.retryable || Date.now() >= deadline) throw err;
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

/**
 * The catalog file (catalog.json at the archive root): read and validated
 * against contracts/catalog.ts, replaced atomically on every update. One
 * writer at a time: updates inside this process queue up, and a lock file
 * (writer-lock.ts) refuses a second writing process. The catalog being
 * replaced is kept as catalog.prev.json for manual recovery.
 *
 * The catalog is protected as the files it lists are: catalog.sums.json,
 * kept apart from it, holds the sha256 of the current and the previous
 * generation, and a catalog whose bytes do not match the sum of its own
 * generation is refused (CATALOG_CHECKSUM_MISMATCH): a hand-edited durable
 * position no longer invents restorable time. An update writes the previous
 * generation, then the sums of both, then the new catalog, each atomically:
 * a crash between any two leaves a catalog.json that matches its sum.
 * An archive written before the sums existed reads as before until its next
 * update adds them.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
// The contracts module itself, not its index: `rewind status` loads this, and the index brings avsc.
import { CATALOG_FORMAT_VERSION, catalogSchema } from '../../contracts/catalog.js';
import type { Catalog } from '../../contracts/catalog.js';
import { ArchiveError, isArchiveError } from './archive-errors.js';
import { isTempName, writeFileAtomic } from './atomic-file.js';
import { WriterLock } from './writer-lock.js';

export const CATALOG_FILE = 'catalog.json';
export const CATALOG_PREVIOUS_FILE = 'catalog.prev.json';
export const CATALOG_LOCK_FILE = 'catalog.lock';
export const CATALOG_SUMS_FILE = 'catalog.sums.json';

/** Whether the catalog read matched its checksum, or predates checksums. */
export type CatalogIntegrity = 'verified' | 'no-checksum';

interface CatalogSums {
  version: 1;
  /** Generation → sha256 of that generation's catalog bytes (the current one and the one before). */
  generations: Record<string, string>;
}

interface RawCatalog {
  catalog: Catalog;
  bytes: Buffer;
  integrity: CatalogIntegrity;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const catalogBytes = (catalog: Catalog) => Buffer.from(`${JSON.stringify(catalog, null, 2)}\n`);

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

  /** The committed catalog; CATALOG_NOT_FOUND when the archive has none yet, CATALOG_CHECKSUM_MISMATCH when it was changed outside rewind. */
  async read(): Promise<Catalog> {
    return (await this.readRaw(CATALOG_FILE)).catalog;
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
    const { catalog, integrity } = await this.readRaw(CATALOG_FILE);
    return { catalog, integrity };
  }

  /** The catalog kept before the last update, if any. */
  async readPrevious(): Promise<Catalog> {
    return (await this.readRaw(CATALOG_PREVIOUS_FILE)).catalog;
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
        await this.commit(fresh, null, null);
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
        const { catalog: current, bytes: currentBytes } = await this.readRaw(CATALOG_FILE);
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
        await this.commit(checked.data, current, currentBytes);
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

  /**
   * Previous generation, then the sums of both, then the new catalog: whichever
   * write a crash cuts short, catalog.json still matches the sum of its generation.
   */
  private async commit(next: Catalog, previous: Catalog | null, previousBytes: Buffer | null): Promise<void> {
    const bytes = catalogBytes(next);
    const sums: CatalogSums = { version: 1, generations: { [String(next.generation)]: sha256(bytes) } };
    if (previous && previousBytes) {
      await this.writeCatalogFile(CATALOG_PREVIOUS_FILE, previousBytes);
      sums.generations[String(previous.generation)] = sha256(previousBytes);
    }
    await this.writeCatalogFile(CATALOG_SUMS_FILE, Buffer.from(`${JSON.stringify(sums, null, 2)}\n`));
    await this.writeCatalogFile(CATALOG_FILE, bytes);
  }

  private async writeCatalogFile(name: string, bytes: Buffer): Promise<void> {
    const location = join(this.root, name);
    try {
      await writeFileAtomic(location, bytes);
    } catch (err) {
      throw new ArchiveError('ARCHIVE_IO_FAILED', { path: name, location, operation: 'write' }, { cause: err });
    }
  }

  /** catalog.sums.json, or null for an archive written before sums existed. */
  private async readSums(): Promise<CatalogSums | null> {
    const location = join(this.root, CATALOG_SUMS_FILE);
    let text: string;
    try {
      text = await readFile(location, 'utf8');
    } catch (err) {
      if (errno(err) === 'ENOENT') return null;
      throw new ArchiveError('ARCHIVE_IO_FAILED', { path: CATALOG_SUMS_FILE, location, operation: 'read' }, { cause: err });
    }
    try {
      const parsed = JSON.parse(text) as Partial<CatalogSums>;
      const generations = parsed.generations;
      if (parsed.version !== 1 || typeof generations !== 'object' || generations === null || Object.values(generations).some((v) => typeof v !== 'string')) {
        throw new Error('not a catalog sums file');
      }
      return { version: 1, generations };
    } catch (err) {
      throw new ArchiveError('CATALOG_INVALID', { path: CATALOG_SUMS_FILE, location, field: '', detail: 'the catalog checksums are unreadable' }, { cause: err });
    }
  }

  private async readRaw(name: string): Promise<RawCatalog> {
    const location = join(this.root, name);
    let bytes: Buffer;
    try {
      bytes = await readFile(location);
    } catch (err) {
      if (errno(err) === 'ENOENT') throw new ArchiveError('CATALOG_NOT_FOUND', { path: name, location }, { cause: err });
      throw new ArchiveError('ARCHIVE_IO_FAILED', { path: name, location, operation: 'read' }, { cause: err });
    }
    // Validated first, so a damaged file names its bad field; then held against its sum.
    const catalog = parseCatalog(bytes.toString('utf8'), name, location);
    const sums = await this.readSums();
    if (sums === null) return { catalog, bytes, integrity: 'no-checksum' };
    const expected = sums.generations[String(catalog.generation)] ?? null;
    const actual = sha256(bytes);
    if (expected !== actual) {
      throw new ArchiveError('CATALOG_CHECKSUM_MISMATCH', { path: name, location, generation: catalog.generation, expected, actual, sums: CATALOG_SUMS_FILE });
    }
    return { catalog, bytes, integrity: 'verified' };
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
        if (!isArchiveError(err, 'CATALOG_LOCKED') || !err.retryable || Date.now() >= deadline) throw err;
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
      if (isTempName(name) && [CATALOG_FILE, CATALOG_PREVIOUS_FILE, CATALOG_SUMS_FILE].some((f) => name.startsWith(`.${f}.`))) {
        await rm(join(this.root, name), { force: true });
      }
    }
    await this.lock.removeDeadTemps();
  }
}

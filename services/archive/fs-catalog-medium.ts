/**
 * The catalog in a folder: catalog.json replaced atomically (temp file,
 * fsync, rename), the one it replaced kept as catalog.prev.json for manual
 * recovery, and a lock file (writer-lock.ts) refusing a second writing process.
 *
 * catalog.sums.json, kept apart from the catalog, holds the sha256 of the
 * current and the previous generation. A commit writes the previous
 * generation, then the sums of both, then the new catalog, each atomically:
 * a crash between any two leaves a catalog.json that matches its sum.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../../contracts/catalog.js';
import { ArchiveError } from './archive-errors.js';
import { isTempName, writeFileAtomic } from './atomic-file.js';
import type { CatalogIntegrity, CatalogMedium, CatalogText } from './catalog-medium.js';
import { WriterLock } from './writer-lock.js';

export const CATALOG_FILE = 'catalog.json';
export const CATALOG_PREVIOUS_FILE = 'catalog.prev.json';
export const CATALOG_LOCK_FILE = 'catalog.lock';
export const CATALOG_SUMS_FILE = 'catalog.sums.json';

interface CatalogSums {
  version: 1;
  /** Generation → sha256 of that generation's catalog bytes (the current one and the one before). */
  generations: Record<string, string>;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

export class FsCatalogMedium implements CatalogMedium {
  readonly root: string;
  readonly lock: WriterLock;

  constructor(root: string) {
    this.root = root;
    this.lock = new WriterLock(join(root, CATALOG_LOCK_FILE), CATALOG_LOCK_FILE);
  }

  get location(): string {
    return this.locationOf('current');
  }

  locationOf(which: 'current' | 'previous'): string {
    return join(this.root, which === 'current' ? CATALOG_FILE : CATALOG_PREVIOUS_FILE);
  }

  async prepare(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  async read(which: 'current' | 'previous'): Promise<CatalogText | null> {
    const path = which === 'current' ? CATALOG_FILE : CATALOG_PREVIOUS_FILE;
    const location = join(this.root, path);
    try {
      return { text: await readFile(location, 'utf8'), path, location };
    } catch (err) {
      if (errno(err) === 'ENOENT') return null;
      throw new ArchiveError('ARCHIVE_IO_FAILED', { path, location, operation: 'read' }, { cause: err });
    }
  }

  async verify(found: CatalogText, generation: number): Promise<CatalogIntegrity> {
    const sums = await this.readSums();
    if (sums === null) return 'no-checksum';
    const expected = sums.generations[String(generation)] ?? null;
    const actual = sha256(Buffer.from(found.text, 'utf8'));
    if (expected !== actual) {
      throw new ArchiveError('CATALOG_CHECKSUM_MISMATCH', { path: found.path, location: found.location, generation, expected, actual, sums: CATALOG_SUMS_FILE });
    }
    return 'verified';
  }

  /**
   * Previous generation, then the sums of both, then the new catalog: whichever
   * write a crash cuts short, catalog.json still matches the sum of its generation.
   */
  async commit(next: Catalog, text: string, previous: { catalog: Catalog; text: string } | null): Promise<void> {
    const bytes = Buffer.from(text);
    const sums: CatalogSums = { version: 1, generations: { [String(next.generation)]: sha256(bytes) } };
    if (previous) {
      const previousBytes = Buffer.from(previous.text, 'utf8');
      await this.writeCatalogFile(CATALOG_PREVIOUS_FILE, previousBytes);
      sums.generations[String(previous.catalog.generation)] = sha256(previousBytes);
    }
    await this.writeCatalogFile(CATALOG_SUMS_FILE, Buffer.from(`${JSON.stringify(sums, null, 2)}\n`));
    await this.writeCatalogFile(CATALOG_FILE, bytes);
  }

  /** Temp files of catalog writes cut short by a crash: only a lock holder writes them, so none is in use now. */
  async cleanup(): Promise<void> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const name of names) {
      if (isTempName(name) && [CATALOG_FILE, CATALOG_PREVIOUS_FILE, CATALOG_SUMS_FILE].some((f) => name.startsWith(`.${f}.`))) {
        await rm(join(this.root, name), { force: true });
      }
    }
    await this.lock.removeDeadTemps();
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
}

/**
 * The catalog in a folder: catalog.json replaced atomically (temp file,
 * fsync, rename), the one it replaced kept as catalog.prev.json for manual
 * recovery, and a lock file (writer-lock.ts) refusing a second writing process.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../../contracts/index.js';
import { ArchiveError } from './archive-errors.js';
import { isTempName, writeFileAtomic } from './atomic-file.js';
import type { CatalogMedium, CatalogText } from './catalog-medium.js';
import { WriterLock } from './writer-lock.js';

export const CATALOG_FILE = 'catalog.json';
export const CATALOG_PREVIOUS_FILE = 'catalog.prev.json';
export const CATALOG_LOCK_FILE = 'catalog.lock';

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

  async commit(_next: Catalog, text: string, previous: Catalog | null): Promise<void> {
    if (previous) {
      await writeFileAtomic(join(this.root, CATALOG_PREVIOUS_FILE), Buffer.from(`${JSON.stringify(previous, null, 2)}\n`));
    }
    await writeFileAtomic(this.location, Buffer.from(text));
  }

  /** Temp files of catalog writes cut short by a crash: only a lock holder writes them, so none is in use now. */
  async cleanup(): Promise<void> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const name of names) {
      if (isTempName(name) && (name.startsWith(`.${CATALOG_FILE}.`) || name.startsWith(`.${CATALOG_PREVIOUS_FILE}.`))) {
        await rm(join(this.root, name), { force: true });
      }
    }
    await this.lock.removeDeadTemps();
  }
}

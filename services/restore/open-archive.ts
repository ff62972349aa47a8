/**
 * Opening an archive for reading: the filesystem blob store and the committed
 * catalog. Read-only: restore, diff and history never take the writer lock
 * and never write a file under the archive root.
 */
import { resolve } from 'node:path';
import type { Catalog } from '../../contracts/index.js';
import { CatalogStore, FsBlobStore } from '../archive/index.js';
import type { BlobStore } from '../archive/index.js';
import { translated } from './translate-errors.js';

export interface OpenArchive {
  root: string;
  store: BlobStore;
  catalog: Catalog;
}

export async function openArchive(dir: string): Promise<OpenArchive> {
  const root = resolve(dir);
  return translated(async () => ({ root, store: new FsBlobStore(root), catalog: await new CatalogStore(root).read() }));
}

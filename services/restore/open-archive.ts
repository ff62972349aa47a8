/**
 * Opening an archive for reading (a folder or s3://bucket/prefix, reached
 * with the access the request carries): its blob store and the committed
 * catalog. Read-only: restore, diff and history never take the writer lock
 * and never write a file under the archive root.
 */
import type { Catalog } from '../../contracts/index.js';
import { openArchiveRef } from '../archive/index.js';
import type { ArchiveRef, BlobStore } from '../archive/index.js';
import { translated } from './translate-errors.js';

export interface OpenArchive {
  root: string;
  store: BlobStore;
  catalog: Catalog;
}

export async function openArchive(ref: ArchiveRef): Promise<OpenArchive> {
  return translated(async () => {
    const { root, store, catalog } = openArchiveRef(ref);
    return { root, store, catalog: await catalog.read() };
  });
}

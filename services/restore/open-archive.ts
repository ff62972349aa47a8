/**
 * Opening an archive for reading (a folder or s3://bucket/prefix, reached
 * with REWIND_S3_*): its blob store and the committed catalog. Read-only:
 * restore, diff and history never take the writer lock and never write a
 * file under the archive root.
 */
import type { Catalog } from '../../contracts/index.js';
import { archiveAccessFromEnv } from '../../contracts/runtime-config.js';
import { openArchiveAt } from '../archive/index.js';
import type { BlobStore } from '../archive/index.js';
import { translated } from './translate-errors.js';

export interface OpenArchive {
  root: string;
  store: BlobStore;
  catalog: Catalog;
}

export async function openArchive(dir: string): Promise<OpenArchive> {
  return translated(async () => {
    const { root, store, catalog } = openArchiveAt(dir, archiveAccessFromEnv());
    return { root, store, catalog: await catalog.read() };
  });
}

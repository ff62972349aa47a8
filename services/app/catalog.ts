/**
 * The catalog job: what an archive holds and what it can restore (the
 * restorable window, snapshots, segments and gaps), read-only.
 */
import { openArchiveRef, summarizeCatalog } from '../archive/index.js';
import type { ArchiveRef, CatalogSummary } from '../archive/index.js';
import { checkAborted } from './job-abort.js';

export interface CatalogRequest {
  archive: ArchiveRef;
  signal?: AbortSignal;
}

export interface CatalogResult extends CatalogSummary {
  /** The archive as shown to people: an absolute folder or s3://bucket/prefix. */
  archive: string;
}

export async function readCatalog(req: CatalogRequest): Promise<CatalogResult> {
  checkAborted(req.signal, 'catalog');
  const { root, catalog } = openArchiveRef(req.archive);
  const summary = summarizeCatalog(await catalog.read());
  return { archive: root, ...summary };
}

/**
 * Archive files that no catalog generation names: a segment or snapshot made
 * durable whose catalog update then failed (a full disk fails the catalog
 * write after the segment's), or that a kill left between the two. The
 * catalog is the truth, so such a file holds nothing restorable; it only
 * takes space, and on a full disk that space is what the next try needs.
 *
 * Removed in two places, both while this process holds the writer lock (no
 * other process writes archive files then): right after the failed update
 * (unless a re-read shows the update did land), and when the archiver starts.
 * An encrypted file goes with its key envelopes (key-envelopes.ts).
 */
import { SEGMENTS_PREFIX, SNAPSHOTS_PREFIX, catalogFiles, deleteFileAndEnvelopes } from '../archive/index.js';
import type { BlobStore, CatalogStore } from '../archive/index.js';
import type { Catalog } from '../../contracts/index.js';

function referenced(...catalogs: Catalog[]): Set<string> {
  return new Set(catalogs.flatMap((c) => catalogFiles(c).map((f) => f.ref.path)));
}

/**
 * Deletes every segment and snapshot file neither the catalog nor the
 * previous generation (kept for manual recovery) names; returns their paths.
 */
export async function removeUnreferencedFiles(store: BlobStore, catalogs: CatalogStore): Promise<string[]> {
  const previous = await catalogs.readPrevious().catch(() => null);
  const keep = referenced(await catalogs.read(), ...(previous ? [previous] : []));
  const removed: string[] = [];
  for (const prefix of [SEGMENTS_PREFIX, SNAPSHOTS_PREFIX]) {
    for (const path of await store.list(prefix)) {
      if (keep.has(path)) continue;
      await deleteFileAndEnvelopes(store, path);
      removed.push(path);
    }
  }
  return removed;
}

/**
 * After a catalog update that failed: deletes those of `paths` the committed
 * catalog does not name (an update can fail after its rename landed, e.g. in
 * the folder fsync, and then the files are catalogued and must stay).
 * Best effort: the failure being handled is what the caller reports.
 */
export async function discardUncatalogued(store: BlobStore, catalogs: CatalogStore, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  let keep: Set<string>;
  try {
    keep = referenced(await catalogs.read());
  } catch {
    return []; // cannot tell: leave them for the sweep at the next start
  }
  const removed: string[] = [];
  for (const path of paths) {
    if (keep.has(path)) continue;
    try {
      await deleteFileAndEnvelopes(store, path);
      removed.push(path);
    } catch {
      // left for the sweep at the next start
    }
  }
  return removed;
}

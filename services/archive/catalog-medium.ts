/**
 * Where a catalog is kept and how its single writer is enforced: the seam
 * between CatalogStore (validation, generations, queuing) and a medium. A
 * folder keeps catalog.json replaced by rename under a lock file
 * (fs-catalog-medium.ts); an object store keeps one create-only object per
 * generation under a leased lock object (s3-catalog-medium.ts).
 */
import type { Catalog } from '../../contracts/catalog.js';

/** Whether the catalog read matched its checksum, or predates checksums (or its medium keeps none). */
export type CatalogIntegrity = 'verified' | 'no-checksum';

export interface CatalogText {
  text: string;
  /** Archive-relative name and real location of what was read, for messages. */
  path: string;
  location: string;
}

export interface CatalogLock {
  readonly isHeld: boolean;
  /** Takes the lock or throws CATALOG_LOCKED (retryable) naming the holder. */
  acquire(): Promise<void>;
  release(): Promise<void>;
}

export interface CatalogMedium {
  /** The archive's root, as shown to people (a folder or s3://bucket/prefix). */
  readonly root: string;
  /** Where the current catalog is, for messages. */
  readonly location: string;
  /** Where the current or the previous catalog is (or would be), for messages. */
  locationOf(which: 'current' | 'previous'): string;
  readonly lock: CatalogLock;
  /** Creates what must exist before a first write (a folder); nothing on an object store. */
  prepare(): Promise<void>;
  /** The committed catalog (`current`) or the one before it (`previous`); null when there is none. */
  read(which: 'current' | 'previous'): Promise<CatalogText | null>;
  /**
   * Holds what read() returned against the checksum kept for `generation`
   * (the generation the text itself names): CATALOG_CHECKSUM_MISMATCH when
   * they differ, 'no-checksum' when the medium has none for it.
   */
  verify(found: CatalogText, generation: number): Promise<CatalogIntegrity>;
  /**
   * Makes `next` the committed catalog; `text` is its serialized form and
   * `previous` the catalog it replaces with the exact text it was read as
   * (null for the first). Called only while
   * the lock is held. A medium that can tell another writer got there first
   * throws CATALOG_CONFLICT and overwrites nothing.
   */
  commit(next: Catalog, text: string, previous: { catalog: Catalog; text: string } | null): Promise<void>;
  /** Removes leftovers of writers that crashed mid-commit; called while the lock is held. */
  cleanup(): Promise<void>;
}

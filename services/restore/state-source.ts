/**
 * The state at T, as restore, diff and export consume it: per namespace, the
 * documents that existed at T in document-key order, plus the collection's
 * metadata (indexes, options) at T. Produced from the archive by
 * archive-state.ts; restore's writers and diff only see this port, so they do
 * not care how the state was folded together.
 */
import type { CollectionMetadata, Position } from '../../contracts/index.js';

export interface ArchiveRecord {
  /** BSON `{ _id: … }`. */
  key: Uint8Array;
  /** The whole document, BSON bytes exactly as the source stored them. */
  document: Uint8Array;
}

export interface NamespaceAtT {
  ns: string;
  /** Indexes and options at T; null when the archive has none for it. */
  metadata: CollectionMetadata | null;
  /** The documents at T, ascending by compareDocumentKeys; each call starts a new pass. */
  records: () => AsyncIterable<ArchiveRecord>;
  /** Number of documents at T when known up front (for progress), else null. */
  count: number | null;
}

export interface StateAtT {
  position: Position;
  /** Namespaces that exist at T, sorted. */
  namespaces: readonly string[];
  /** Every namespace the archive has ever captured (in-place restores must not overwrite them unconfirmed). */
  captured: readonly string[];
  namespace: (ns: string) => NamespaceAtT;
  /** Removes temporary run files. */
  close: () => Promise<void>;
}

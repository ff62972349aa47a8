/**
 * The input shape of a replay: a base snapshot as streams, one per namespace,
 * each sorted by document key (contracts/document-key.ts). The engine never
 * opens files: services/archive's snapshot reader produces these streams.
 */
import type { SnapshotRecord } from '../../contracts/avro/snapshot-record.js';
import type { CollectionMetadata } from '../../contracts/catalog.js';
import type { Position } from '../../contracts/position.js';

export interface BaseNamespace {
  /** `db.coll` */
  ns: string;
  metadata: CollectionMetadata;
  /** Sorted by key, no duplicate keys. Read lazily: a namespace dropped later is never read. */
  records: AsyncIterable<SnapshotRecord>;
}

export interface BaseSnapshot {
  /** Every event at or before this position is already in the records; null: an empty start before every event. */
  position: Position | null;
  namespaces: BaseNamespace[];
}

/** Where replay starts when there is no snapshot yet: nothing, before every event. */
export function emptyBase(): BaseSnapshot {
  return { position: null, namespaces: [] };
}

/**
 * Builds the raw (fuzzy) initial copy from the log's copy records: one
 * snapshot file set per collection, documents in the order the source read
 * them (by _id, which is the snapshot key order). It is not a base snapshot
 * yet: each document was read at its own moment. finish() returns it as a
 * replay base at the copy's start; the archiver then folds the events up to
 * the copy's end over it (base-builder.ts) to make the exact base.
 */
import type { Buffer } from 'node:buffer';
import type { CollectionMetadata, SnapshotNamespace } from '../../contracts/index.js';
import { SnapshotNamespaceWriter } from '../archive/index.js';
import type { BlobStore, Codec } from '../archive/index.js';
import { idKeyOf } from '../replay/bson-bytes.js';

export class CopyBuilder {
  private readonly writers = new Map<string, SnapshotNamespaceWriter>();
  documents = 0;

  constructor(
    private readonly store: BlobStore,
    readonly copyId: string,
    /** `seconds.increment.index`: the log holds every event after this. */
    readonly at: string,
    private readonly codec: Codec,
  ) {}

  /** Files of the raw copy live under their own snapshot id, removed once the base is built. */
  get rawSnapshotId(): string {
    return `copy-${this.copyId}`;
  }

  addCollection(metadata: CollectionMetadata): void {
    if (this.writers.has(metadata.ns)) return;
    this.writers.set(metadata.ns, new SnapshotNamespaceWriter(this.store, this.rawSnapshotId, metadata, { codec: this.codec }));
  }

  async addDocuments(ns: string, documents: readonly Buffer[]): Promise<void> {
    const writer = this.writers.get(ns);
    if (!writer) throw new Error(`copy ${this.copyId}: documents for ${ns} before its collection record`);
    for (const doc of documents) {
      const key = idKeyOf(doc);
      if (!key) throw new Error(`copy ${this.copyId}: a document of ${ns} has no _id`);
      await writer.append(key, doc);
      this.documents += 1;
    }
  }

  async finish(): Promise<SnapshotNamespace[]> {
    const out: SnapshotNamespace[] = [];
    for (const w of this.writers.values()) out.push(await w.finish());
    return out;
  }

  async abort(): Promise<void> {
    for (const w of this.writers.values()) await w.abort().catch(() => undefined);
  }
}

/**
 * Writes one namespace of a base snapshot: records {key, document} in
 * MongoDB's document-key order, rolled into numbered parts of bounded size:
 * `snapshots/<snapshotId>/<db>/<coll>-<part>.avro` (names encoded by
 * namespaces.ts). Out-of-order or duplicate keys are refused, so a snapshot can
 * be merged with a live `find().sort({_id: 1})` and with other sorted runs.
 */
import { compareDocumentKeys, snapshotRecordType } from '../../contracts/index.js';
import type { CollectionMetadata, FileRef, SnapshotNamespace, SnapshotRecord } from '../../contracts/index.js';
import { ArchiveError } from './archive-errors.js';
import { ContainerWriter } from './container-writer.js';
import type { ContainerWriterOptions } from './container-writer.js';
import { checkArchivePath } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import { encodeNameForPath, splitNamespace } from './namespaces.js';

export const SNAPSHOTS_PREFIX = 'snapshots/';
const DEFAULT_PART_MAX_BYTES = 256 * 1024 * 1024;

export type SnapshotWriterOptions = ContainerWriterOptions & {
  /** A new part starts once the current one has this many bytes. */
  partMaxBytes?: number;
};

/** The file of one part: `snapshots/<id>/<db>/<coll>-<part>.avro`. */
export function snapshotPartPath(snapshotId: string, ns: string, part: number): string {
  const { db, coll } = splitNamespace(ns);
  const base = coll === null ? '%' : encodeNameForPath(coll);
  return checkArchivePath(
    `${SNAPSHOTS_PREFIX}${encodeNameForPath(snapshotId)}/${encodeNameForPath(db)}/${base}-${String(part).padStart(5, '0')}.avro`,
  );
}

export class SnapshotNamespaceWriter {
  private readonly store: BlobStore;
  private readonly snapshotId: string;
  private readonly metadata: CollectionMetadata;
  private readonly options: SnapshotWriterOptions;
  private readonly partMaxBytes: number;
  private readonly files: FileRef[] = [];
  private part: ContainerWriter<SnapshotRecord> | null = null;
  private previousKey: Buffer | null = null;
  private count = 0;
  private closed = false;

  /** `metadata.ns` names the namespace (`db.coll`). */
  constructor(store: BlobStore, snapshotId: string, metadata: CollectionMetadata, options: SnapshotWriterOptions = {}) {
    this.store = store;
    this.snapshotId = snapshotId;
    this.metadata = metadata;
    this.options = options;
    this.partMaxBytes = options.partMaxBytes ?? DEFAULT_PART_MAX_BYTES;
  }

  get ns(): string {
    return this.metadata.ns;
  }

  get recordCount(): number {
    return this.count;
  }

  private get currentPath(): string {
    return this.part?.path ?? snapshotPartPath(this.snapshotId, this.ns, this.files.length);
  }

  /** Appends one document; its key must sort strictly after the previous key. */
  async append(key: Buffer, document: Buffer): Promise<void> {
    if (this.closed) throw new ArchiveError('ARCHIVE_WRITER_CLOSED', { path: this.currentPath });
    if (this.previousKey) {
      const order = compareDocumentKeys(this.previousKey, key);
      if (order >= 0) {
        throw new ArchiveError('SNAPSHOT_OUT_OF_ORDER', { path: this.currentPath, ns: this.ns, duplicate: order === 0 });
      }
    }
    if (this.part && this.part.bytesWritten >= this.partMaxBytes) {
      this.files.push(await this.part.finish());
      this.part = null;
    }
    this.part ??= new ContainerWriter<SnapshotRecord>(
      this.store,
      snapshotPartPath(this.snapshotId, this.ns, this.files.length),
      snapshotRecordType,
      'snapshot',
      this.options,
    );
    await this.part.write({ key, document });
    this.previousKey = key;
    this.count++;
  }

  /** Closes the last part and returns the namespace's catalog entry (an empty namespace has no files). */
  async finish(): Promise<SnapshotNamespace> {
    if (this.closed) throw new ArchiveError('ARCHIVE_WRITER_CLOSED', { path: this.currentPath });
    this.closed = true;
    if (this.part) this.files.push(await this.part.finish());
    this.part = null;
    return { ns: this.ns, files: [...this.files], count: this.count, metadata: this.metadata };
  }

  /** Abandons the open part and deletes the finished ones. */
  async abort(): Promise<void> {
    this.closed = true;
    await this.part?.abort();
    for (const f of this.files) await this.store.delete(f.path);
  }
}

/** Writes a whole namespace from sorted records (tests and tools). */
export async function writeSnapshotNamespace(
  store: BlobStore,
  snapshotId: string,
  metadata: CollectionMetadata,
  records: Iterable<SnapshotRecord> | AsyncIterable<SnapshotRecord>,
  options: SnapshotWriterOptions = {},
): Promise<SnapshotNamespace> {
  const writer = new SnapshotNamespaceWriter(store, snapshotId, metadata, options);
  try {
    for await (const r of records) await writer.append(r.key, r.document);
    return await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/**
 * The initial copy as it arrives through the log (copy-start, collections,
 * documents, copy-end): the raw copy's files, the collections' metadata, and
 * the log floor the copy holds. While a copy is being built the log may not
 * forget anything from its start (a crash must see it again); the floor stays
 * until the base built from the copy is in the catalog. At copy-end the raw
 * copy plus the events up to its end become the exact base snapshot.
 */
import type { Logger } from 'pino';
import { parsePosition } from '../../contracts/index.js';
import type { CollectionMetadata, Position, SnapshotNamespace } from '../../contracts/index.js';
import { deleteFileAndEnvelopes } from '../archive/index.js';
import type { BlobStore, CatalogStore, Codec } from '../archive/index.js';
import type { LogCursor } from '../eventlog/event-log.js';
import type { CompactionPolicy } from './archiver-options.js';
import { buildBase } from './base-builder.js';
import type { CatalogWrites } from './catalog-writes.js';
import { CopyBuilder } from './copy-builder.js';

export interface CopyAssemblerOptions {
  store: BlobStore;
  catalog: CatalogStore;
  writes: CatalogWrites;
  codec: Codec;
  compaction: CompactionPolicy;
  log: Logger;
}

/** A copy whose files are finished, waiting for the events up to its end to be catalogued. */
export interface FinishedCopy {
  copy: CopyBuilder;
  raw: SnapshotNamespace[];
  metadata: CollectionMetadata[];
}

export class CopyAssembler {
  private copy: CopyBuilder | null = null;
  private metadata: CollectionMetadata[] = [];
  private floor: LogCursor | null = null;

  constructor(private readonly o: CopyAssemblerOptions) {}

  get active(): boolean {
    return this.copy !== null;
  }

  get status(): { copyId: string; documents: number } | null {
    return this.copy ? { copyId: this.copy.copyId, documents: this.copy.documents } : null;
  }

  /** The log floor (see commit-order.ts): undefined when no copy holds the log. */
  logFloor(): LogCursor | null | undefined {
    return this.copy || this.floor ? this.floor : undefined;
  }

  /** Starts building copy `copyId` at `at`; the log is held at `floor` (the log position before its start). */
  start(copyId: string, at: string, floor: LogCursor | null): void {
    this.copy = new CopyBuilder(this.o.store, copyId, at, this.o.codec);
    this.metadata = [];
    this.floor = floor;
    this.o.log.info({ copyId, at }, 'initial copy arriving');
  }

  isCurrent(copyId: string): boolean {
    return this.copy?.copyId === copyId;
  }

  addCollection(metadata: CollectionMetadata): void {
    this.copy?.addCollection(metadata);
    this.metadata.push(metadata);
  }

  addDocuments(ns: string, documents: Parameters<CopyBuilder['addDocuments']>[1]): Promise<void> | undefined {
    return this.copy?.addDocuments(ns, documents);
  }

  /** Drops the copy being built (its files too); the floor it holds stays until released. */
  async abort(): Promise<void> {
    const copy = this.copy;
    this.copy = null;
    await copy?.abort();
  }

  /** Drops the copy and releases the log (a gap: this copy will never become a base). */
  async drop(): Promise<void> {
    await this.abort();
    this.release();
  }

  /** Finishes the raw copy's files; the copy is no longer being built, but the floor holds until commitBase. */
  async finishFiles(): Promise<FinishedCopy | null> {
    const copy = this.copy;
    if (!copy) return null;
    const raw = await copy.finish();
    this.copy = null;
    return { copy, raw, metadata: this.metadata };
  }

  /** Folds the events up to `end` over the raw copy, commits the base with the copy's metadata, then releases the log. */
  async commitBase(done: FinishedCopy, end: Position): Promise<void> {
    const { copy, raw, metadata } = done;
    const catalog = await this.o.catalog.read();
    const built = await buildBase({
      store: this.o.store,
      catalog,
      base: { position: parsePosition(copy.at), namespaces: raw },
      upTo: end,
      kind: 'initial-copy',
      codec: this.o.codec,
      memoryBytes: this.o.compaction.memoryBytes,
      ...(this.o.compaction.tempDir ? { tempDir: this.o.compaction.tempDir } : {}),
      onGap: 'record',
      idSuffix: copy.copyId,
    });
    await this.o.writes.updateOrDiscard(built.entry.namespaces.flatMap((n) => n.files.map((f) => f.path)), (draft) => {
      draft.snapshots.push(built.entry);
      const names = new Set(metadata.map((m) => m.ns));
      draft.collections = [...draft.collections.filter((c) => !names.has(c.ns)), ...metadata];
      for (const gap of draft.gaps) if (gap.to === undefined) gap.to = built.entry.position;
    });
    for (const ns of raw) for (const f of ns.files) await deleteFileAndEnvelopes(this.o.store, f.path);
    this.release();
    this.o.log.info(
      { copyId: copy.copyId, snapshot: built.entry.id, position: built.entry.position, documents: copy.documents, eventsFolded: built.eventsApplied },
      'initial copy became the base snapshot',
    );
  }

  private release(): void {
    this.floor = null;
  }
}

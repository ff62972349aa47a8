/**
 * Writes one segment: events in strictly increasing position order into one
 * Avro container file, and describes it for the catalog. The file is named by
 * its first position, so listings sort like the log; it appears in the store
 * atomically on finish().
 */
import { randomBytes } from 'node:crypto';
import {
  OPERATION_TYPES,
  changeEventType,
  comparePositions,
  formatPosition,
  position,
  positionSortKey,
} from '../../contracts/index.js';
import type { ChangeEvent, Position, SegmentEntry } from '../../contracts/index.js';
import { ArchiveError } from './archive-errors.js';
import { ContainerWriter, DEFAULT_CODEC } from './container-writer.js';
import type { Codec, ContainerWriterOptions } from './container-writer.js';
import type { BlobStore } from './blob-store.js';
import { namespaceName } from './namespaces.js';

export const SEGMENTS_PREFIX = 'segments/';
const VALID_OPS: ReadonlySet<string> = new Set(OPERATION_TYPES);

export type SegmentWriterOptions = ContainerWriterOptions & {
  /** Segment id; by default the first position's sort key plus a random suffix. */
  id?: string;
};

export function eventPosition(e: Pick<ChangeEvent, 'seconds' | 'increment' | 'index'>): Position {
  return position(e.seconds, e.increment, e.index);
}

export class SegmentWriter {
  private readonly store: BlobStore;
  private readonly options: SegmentWriterOptions;
  private container: ContainerWriter<ChangeEvent> | null = null;
  private id: string | null;
  private first: Position | null = null;
  private last: Position | null = null;
  private readonly namespaces: Record<string, number> = {};
  private closed = false;

  constructor(store: BlobStore, options: SegmentWriterOptions = {}) {
    this.store = store;
    this.options = options;
    this.id = options.id ?? null;
  }

  /** Events appended so far. */
  get count(): number {
    return this.container?.recordCount ?? 0;
  }

  /** Bytes written to the file so far (for rolling by size; the open block is not counted yet). */
  get bytesWritten(): number {
    return this.container?.bytesWritten ?? 0;
  }

  get codec(): Codec {
    return this.options.codec ?? DEFAULT_CODEC;
  }

  get path(): string {
    return this.container?.path ?? `${SEGMENTS_PREFIX}${this.id ?? '(not started)'}.avro`;
  }

  /** Appends one event; it must come strictly after the previous one. Waits when the file writer is busy. */
  async append(event: ChangeEvent): Promise<void> {
    if (this.closed) throw new ArchiveError('ARCHIVE_WRITER_CLOSED', { path: this.path });
    const at = eventPosition(event);
    if (this.last && comparePositions(at, this.last) <= 0) {
      throw new ArchiveError('SEGMENT_OUT_OF_ORDER', {
        path: this.path,
        previous: formatPosition(this.last),
        got: formatPosition(at),
      });
    }
    if (!VALID_OPS.has(event.op)) {
      throw new ArchiveError('ARCHIVE_ENCODE_FAILED', { path: this.path, detail: `unknown op ${JSON.stringify(event.op)}` });
    }
    if (!this.container) {
      this.id ??= `${positionSortKey(at)}-${randomBytes(4).toString('hex')}`;
      this.container = new ContainerWriter<ChangeEvent>(
        this.store,
        `${SEGMENTS_PREFIX}${this.id}.avro`,
        changeEventType,
        'segment',
        this.options,
      );
      this.first = at;
    }
    await this.container.write(event);
    this.last = at;
    // A rename touches both namespaces: a selective restore of either must read this segment.
    const from = namespaceName(event.ns.db, event.ns.coll);
    this.namespaces[from] = (this.namespaces[from] ?? 0) + 1;
    if (event.to) {
      const to = namespaceName(event.to.db, event.to.coll);
      if (to !== from) this.namespaces[to] = (this.namespaces[to] ?? 0) + 1;
    }
  }

  /** Closes the file durably and returns its catalog entry. */
  async finish(): Promise<SegmentEntry> {
    if (this.closed) throw new ArchiveError('ARCHIVE_WRITER_CLOSED', { path: this.path });
    this.closed = true;
    if (!this.container || !this.first || !this.last || !this.id) {
      throw new ArchiveError('SEGMENT_EMPTY', { path: this.path });
    }
    const count = this.container.recordCount;
    const file = await this.container.finish();
    return {
      id: this.id,
      file,
      first: formatPosition(this.first),
      last: formatPosition(this.last),
      count,
      codec: this.codec,
      namespaces: { ...this.namespaces },
      createdAt: new Date().toISOString(),
    };
  }

  /** Abandons the segment; no file is left behind. */
  async abort(): Promise<void> {
    this.closed = true;
    await this.container?.abort();
  }
}

/** Writes a whole segment from an iterable of events (tests and tools). */
export async function writeSegment(
  store: BlobStore,
  events: Iterable<ChangeEvent> | AsyncIterable<ChangeEvent>,
  options: SegmentWriterOptions = {},
): Promise<SegmentEntry> {
  const writer = new SegmentWriter(store, options);
  try {
    for await (const e of events) await writer.append(e);
    return await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

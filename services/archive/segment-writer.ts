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
const UINT32_MAX = 0xffff_ffff;
const VALID_OPS: ReadonlySet<string> = new Set(OPERATION_TYPES);

export type SegmentWriterOptions = ContainerWriterOptions & {
  /** Segment id; by default the first position's sort key plus a random suffix. */
  id?: string;
};

/** The fields of an event a segment needs besides its bytes: position, operation, namespaces. */
export type EventHead = Pick<ChangeEvent, 'seconds' | 'increment' | 'index' | 'op' | 'ns' | 'to'>;

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
  private readonly namespaces = new Map<string, number>();
  // The last namespace seen and its name: consecutive events mostly share one.
  private nsDb: string | null = null;
  private nsColl: string | null = null;
  private nsName = '';
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
    const container = this.admit(event);
    const wait = container.write(event);
    if (wait) await wait;
    this.appended(event);
  }

  /**
   * Appends one event already Avro-encoded with changeEventType (a Kafka record's value), given its
   * leading fields: the bytes are copied into the file, not decoded and encoded again. Checks as
   * append() does, but throws synchronously; returns a promise only when the file writer is busy.
   */
  appendEncoded(head: EventHead, bytes: Uint8Array): Promise<void> | undefined {
    const container = this.admit(head);
    const wait = container.writeEncoded(bytes);
    if (wait) return wait.then(() => this.appended(head));
    this.appended(head);
    return undefined;
  }

  /** Order, operation and range checks; opens the file on the first event. */
  private admit(event: EventHead): ContainerWriter<ChangeEvent> {
    if (this.closed) throw new ArchiveError('ARCHIVE_WRITER_CLOSED', { path: this.path });
    const last = this.last;
    // Compared field by field: this runs for every event, a Position object per event costs more.
    if (last && (event.seconds - last.seconds || event.increment - last.increment || event.index - last.index) <= 0) {
      throw new ArchiveError('SEGMENT_OUT_OF_ORDER', {
        path: this.path,
        previous: formatPosition(last),
        got: `${event.seconds}.${event.increment}.${event.index}`,
      });
    }
    if (!VALID_OPS.has(event.op)) {
      throw new ArchiveError('ARCHIVE_ENCODE_FAILED', { path: this.path, detail: `unknown op ${JSON.stringify(event.op)}` });
    }
    if (!last || event.seconds > UINT32_MAX || event.increment > UINT32_MAX || event.index < 0) {
      eventPosition(event); // throws PositionFormatError naming a position out of range
    }
    if (!this.container) {
      const at = eventPosition(event);
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
    return this.container;
  }

  /** Bookkeeping once the event is in the file: last position and the namespace summary. */
  private appended(event: EventHead): void {
    this.last = { seconds: event.seconds, increment: event.increment, index: event.index };
    // A rename touches both namespaces: a selective restore of either must read this segment.
    const ns = event.ns;
    if (ns.db !== this.nsDb || ns.coll !== this.nsColl) {
      this.nsDb = ns.db;
      this.nsColl = ns.coll;
      this.nsName = namespaceName(ns.db, ns.coll);
    }
    const from = this.nsName;
    this.namespaces.set(from, (this.namespaces.get(from) ?? 0) + 1);
    if (event.to) {
      const to = namespaceName(event.to.db, event.to.coll);
      if (to !== from) this.namespaces.set(to, (this.namespaces.get(to) ?? 0) + 1);
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
      namespaces: Object.fromEntries(this.namespaces),
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

/**
 * The open segment and the segments rolled from it. A segment rolled by size
 * or age is made durable in the background while the next one fills (a few at
 * a time, committed strictly in order): its file, catalog and directory fsyncs
 * (a second or more on a busy machine) no longer stall the log.
 */
import type { Logger } from 'pino';
import type { SegmentEntry } from '../../contracts/index.js';
import { SegmentWriter } from '../archive/index.js';
import type { BlobStore, Codec } from '../archive/index.js';
import type { ChangeEvent } from '../../contracts/index.js';
import type { EventHead } from '../eventlog/log-record.js';

/** Rolled segments in the background at most (each finishing, or waiting for the catalog). */
export const MAX_ROLLING = 3;

export interface SegmentRollerOptions<C> {
  store: BlobStore;
  codec: Codec;
  maxBytes: number;
  maxAgeMs: number;
  log: Logger;
  /** Commits a durable segment (null: it was empty) with what it covers; called in roll order. */
  commit: (entry: SegmentEntry | null, covered: C) => Promise<void>;
}

export class SegmentRoller<C> {
  private segment: SegmentWriter | null = null;
  private openedAt = 0;
  /**
   * Rolled segments not yet committed, oldest first: each settles once its file is durable and it is
   * committed with what it covers. Each waits for the one before it, so a failure stops every later
   * commit; the failure is kept and rethrown.
   */
  private readonly rolling: Promise<void>[] = [];
  private failure: Error | null = null;
  segmentsWritten = 0;

  constructor(private readonly o: SegmentRollerOptions<C>) {}

  get open(): { events: number; bytes: number } | null {
    return this.segment ? { events: this.segment.count, bytes: this.segment.bytesWritten } : null;
  }

  /** Appends one event (opening a segment); a promise only when the writer is busy. */
  append(event: ChangeEvent): Promise<void> | undefined {
    return this.writer().append(event);
  }

  /** Appends an event that arrived encoded (Kafka) as it is, never decoded. */
  appendEncoded(head: EventHead, avro: Uint8Array): Promise<void> | undefined {
    return this.writer().appendEncoded(head, avro);
  }

  private writer(): SegmentWriter {
    if (!this.segment) {
      this.segment = new SegmentWriter(this.o.store, { codec: this.o.codec });
      this.openedAt = Date.now();
    }
    return this.segment;
  }

  /** Why the open segment should roll now ('size' or 'age'), or null. */
  due(nowMs: number): 'size' | 'age' | null {
    const s = this.segment;
    if (!s) return null;
    if (s.bytesWritten >= this.o.maxBytes) return 'size';
    return nowMs - this.openedAt >= this.o.maxAgeMs ? 'age' : null;
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Past a few rolls in the background, waits for the oldest: bounds the work (and memory) behind the log. */
  async whenRoom(): Promise<void> {
    while (this.rolling.length >= MAX_ROLLING) await this.rolling[0];
  }

  /**
   * Hands the open segment over: its file is finished and synced at once, beside the rolls before it;
   * then, after the roll before it settled, it is committed with `covered`. The next segment fills meanwhile.
   */
  start(reason: string, covered: C): void {
    const segment = this.segment;
    this.segment = null;
    const durable = this.finish(segment, reason);
    // Observed here; a failure reaches the caller through `settled`.
    durable.catch(() => undefined);
    const settled = (this.rolling.at(-1) ?? Promise.resolve()).then(async () => this.o.commit(await durable, covered));
    this.rolling.push(settled);
    settled.then(
      () => void this.rolling.shift(),
      (err: unknown) => {
        this.failure ??= err instanceof Error ? err : new Error(String(err));
      },
    );
  }

  /** Waits until every rolled segment is committed; rethrows a failure. */
  async settle(): Promise<void> {
    for (const settled of [...this.rolling]) await settled;
    this.throwIfFailed();
  }

  /** Rolls the open segment and waits until it (and every segment rolled before it) is committed. */
  async roll(reason: string, take: () => C): Promise<void> {
    await this.settle();
    this.start(reason, take());
    await this.settle();
  }

  /** After a failure: waits for the rolls already started, and drops the open segment. */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.rolling);
    await this.segment?.abort().catch(() => undefined);
    this.segment = null;
  }

  /** The segment's file, durable, and its catalog entry; null for an empty segment (nothing is written). */
  private async finish(segment: SegmentWriter | null, reason: string): Promise<SegmentEntry | null> {
    if (!segment || segment.count === 0) {
      await segment?.abort();
      return null;
    }
    const entry = await segment.finish();
    this.segmentsWritten += 1;
    this.o.log.info({ reason, segment: entry.id, events: entry.count, bytes: entry.file.bytes, first: entry.first, last: entry.last }, 'segment written');
    return entry;
  }
}

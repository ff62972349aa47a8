/**
 * A change source that replays a recorded sequence of raw change events (from
 * the documented corpus, or generated in the corpus's shapes), honouring the
 * change stream's resume semantics: `startAfter` a token continues right after
 * that event (or, for a high-water-mark token, at its cluster time: such a token
 * sorts before the events of its time),
 * `startAtOperationTime` starts at the first event at or after that time, and
 * a resume point older than the retained history fails with
 * ChangeStreamHistoryLost (code 286), as the server does. It is a recording,
 * not a database: it answers nothing but the stream.
 *
 * Events can be released over time (availableAtMs) to play a live stream.
 */
import { Buffer } from 'node:buffer';
import { Timestamp, serialize } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import { RawChangeEvent } from '../raw-change-event.js';
import type { ChangeCursor, ChangeSource, RawBatch, StreamStart } from '../source-port.js';
import { tokenClusterTime, tokenData } from '../resume-token.js';
import { cursorReplyBytes, readReplyAsDriverWould } from './cursor-reply-bytes.js';

export interface RecordedSourceOptions {
  /** Events per batch. Default 100. */
  batchSize?: number;
  /** Index of the oldest event still in the (recorded) oplog; resuming before it loses history. Default 0. */
  retainedFrom?: number;
  /** When event i becomes visible (ms since epoch); default: all visible at once. */
  availableAtMs?: (i: number) => number;
  /** Fails the next open() calls with these errors first (one per call). */
  openFailures?: Error[];
}

export class HistoryLostError extends Error {
  readonly code = 286;
  readonly codeName = 'ChangeStreamHistoryLost';
  constructor(message: string) {
    super(message);
    this.name = 'MongoServerError';
  }
}


function cmpTs(a: Timestamp, b: Timestamp): number {
  return a.high >>> 0 !== b.high >>> 0 ? (a.high >>> 0) - (b.high >>> 0) : (a.low >>> 0) - (b.low >>> 0);
}

/** A high-water-mark token in the server's layout prefix: the Timestamp type byte and the cluster time. */
export function highWaterMarkToken(ts: Timestamp): Document {
  const hex = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return { _data: `82${hex(ts.high)}${hex(ts.low)}0104` };
}

/**
 * Events made as objects by a test's own generator → BSON bytes, as a server would send them. Only for
 * generated events whose documents have no digit-only field names (an object would have reordered those
 * already); the documented corpus is read straight into bytes instead (test/fixtures/change-events).
 */
export function eventBytes(events: readonly Document[]): Buffer[] {
  return events.map((e) => Buffer.from(serialize(e)));
}

export class RecordedChangeSource implements ChangeSource {
  private readonly events: readonly Buffer[];
  private readonly options: RecordedSourceOptions;
  private readonly openFailures: Error[];
  /** Cluster time of each event; a split event's later fragments carry their first fragment's. */
  private readonly times: Timestamp[];
  /**
   * Index of the first event carrying each resume token, built with `times`: a server finds a resume point
   * through its oplog's index, while a scan of a long recording (80 ms for 200k events) counted in every
   * timed open of the benchmarks.
   */
  private readonly byToken = new Map<unknown, number>();
  opens = 0;

  /** Events as BSON bytes, exactly as a server sends them. */
  constructor(events: readonly Uint8Array[], options: RecordedSourceOptions = {}) {
    this.events = events.map((e) => (Buffer.isBuffer(e) ? e : Buffer.from(e.buffer, e.byteOffset, e.byteLength)));
    let last = new Timestamp({ t: 0, i: 0 });
    this.times = this.events.map((bytes, i) => {
      const e = RawChangeEvent.read(bytes);
      let data: string | undefined;
      try {
        data = e.tokenData();
      } catch {
        data = undefined;
      }
      if (!this.byToken.has(data)) this.byToken.set(data, i);
      const ct = e.timestamp('clusterTime');
      return (last = ct ? new Timestamp({ t: ct.seconds, i: ct.increment }) : last);
    });
    this.options = options;
    this.openFailures = [...(options.openFailures ?? [])];
  }

  describe(): string {
    return `recorded change events (${this.events.length})`;
  }

  private visibleCount(): number {
    const at = this.options.availableAtMs;
    if (!at) return this.events.length;
    const now = Date.now();
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(mid) <= now) lo = mid + 1;
      else hi = mid;
    }
    // A transaction becomes visible whole (its events share one clusterTime), as on a server.
    while (lo > 0 && lo < this.events.length && cmpTs(this.times[lo] as Timestamp, this.times[lo - 1] as Timestamp) === 0) lo -= 1;
    return lo;
  }

  currentClusterTime(): Promise<Timestamp> {
    return Promise.resolve(this.clusterTimeAt(this.visibleCount()));
  }

  /** "Now" once `visible` events exist: just past the newest of them. */
  private clusterTimeAt(visible: number): Timestamp {
    const base = (visible > 0 ? this.times[visible - 1] : this.times[0]) ?? new Timestamp({ t: 1, i: 0 });
    // "Now" is just past the newest visible event.
    return visible > 0 ? new Timestamp({ t: base.high, i: (base.low >>> 0) + 1 }) : new Timestamp({ t: base.high, i: 0 });
  }

  open(start: StreamStart): Promise<ChangeCursor> {
    this.opens += 1;
    const failure = this.openFailures.shift();
    if (failure) return Promise.reject(failure);
    const retained = this.options.retainedFrom ?? 0;
    let from: number;
    if (start.kind === 'after') {
      const data: unknown = tokenData(start.token);
      const exact = this.byToken.get(data) ?? -1;
      if (exact >= 0) {
        from = exact + 1;
      } else {
        const ts = tokenClusterTime(start.token);
        if (!ts) return Promise.reject(new Error(`not a resume token: ${start.token.toString('hex')}`));
        // A high-water-mark token sorts before the events of its cluster time: they come next.
        from = this.times.findIndex((t) => cmpTs(t, ts) >= 0);
        if (from < 0) from = this.events.length;
      }
      if (from < retained) {
        return Promise.reject(new HistoryLostError('Resume of change stream was not possible, as the resume point may no longer be in the oplog.'));
      }
    } else {
      from = this.times.findIndex((t) => cmpTs(t, start.clusterTime) >= 0);
      if (from < 0) from = this.events.length;
      if (from < retained) from = retained;
    }
    return Promise.resolve(new RecordedCursor(this, from));
  }

  /** Batch starting at `from`; waits up to maxWaitMs for events to become visible. */
  async read(from: number, maxWaitMs: number): Promise<{ events: Buffer[]; next: number; pbrt: Buffer | null }> {
    const deadline = Date.now() + maxWaitMs;
    let visible = this.visibleCount();
    while (visible <= from && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(20, maxWaitMs)));
      visible = this.visibleCount();
    }
    const size = this.options.batchSize ?? 100;
    const end = Math.min(visible, from + size);
    const events = this.events.slice(from, end);
    // Like the server: a batch cut by size ends at its last event's token; an exhausted one at the high-water mark.
    let pbrt: Buffer | null = null;
    if (end === visible) pbrt = Buffer.from(serialize(highWaterMarkToken(this.clusterTimeAt(visible))));
    else if (events.length > 0) pbrt = RawChangeEvent.read(events[events.length - 1] as Buffer).value('_id');
    return { events, next: end, pbrt };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

class RecordedCursor implements ChangeCursor {
  constructor(
    private readonly source: RecordedChangeSource,
    private position: number,
  ) {}

  async next(maxWaitMs: number): Promise<RawBatch> {
    const { events, next, pbrt } = await this.source.read(this.position, maxWaitMs);
    this.position = next;
    // Through the wire form and the live source's reader: what reaches the collector is what a server's reply gives.
    const reply = readReplyAsDriverWould(cursorReplyBytes(events, { id: 1n, ns: 'admin.$cmd.aggregate', postBatchResumeToken: pbrt }));
    return { events: reply.events, postBatchResumeToken: reply.postBatchResumeToken };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

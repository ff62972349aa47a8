/**
 * The collector: one change stream over the deployment → normalized events →
 * the event log, with the resume point committed only after what it covers is
 * durable downstream, an initial copy when the archive has no base, a gap plus
 * a fresh copy when the stream's history is lost, and reconnection with
 * backoff when the source is unreachable.
 */
import { randomUUID } from 'node:crypto';
import type { Buffer } from 'node:buffer';
import { Timestamp } from '../../contracts/bson.js';
import { errorLine } from '../../contracts/errors.js';
import type { Logger } from 'pino';
import { INDEX_MAX, comparePositions, formatPosition, parsePosition } from '../../contracts/index.js';
import type { Position } from '../../contracts/index.js';
import type { LogProducer } from '../eventlog/event-log.js';
import type { LogRecord } from '../eventlog/log-record.js';
import { backoffDelayMs, sleep } from './backoff.js';
import { CollectorError } from './collector-errors.js';
import { runInitialCopy } from './initial-copy.js';
import { Lifecycle } from './lifecycle.js';
import type { CollectorState } from './lifecycle.js';
import { NamespaceFilter } from './namespace-filter.js';
import type { NamespaceScope } from './namespace-filter.js';
import { ChangeEventNormalizeError, normalizeChangeEvent, readRawChangeEvent, reassembleSplitEvent } from './normalize-event.js';
import type { RawChangeEvent } from './raw-change-event.js';
import { PositionAssigner } from './position-assigner.js';
import { isRetryableSourceError } from './retryable-error.js';
import type { ResumePoint, ResumeStore } from './resume-store.js';
import { positionBefore, tokenClusterTime, tokenFromJson, tokenToJson } from './resume-token.js';
import type { ChangeCursor, ChangeSource, CopySource, RawBatch, StreamStart } from './source-port.js';

export interface CollectorOptions {
  source: ChangeSource;
  copySource: CopySource;
  producer: LogProducer;
  resumeStore: ResumeStore;
  log: Logger;
  scope?: NamespaceScope;
  /** How long one read of the stream waits for events. Default 1000 ms. */
  pollWaitMs?: number;
  /** Least time between two checkpoints when nothing changes. Default 1000 ms. */
  heartbeatMs?: number;
  copyBatchSize?: number;
  /** Reconnection backoff base and cap. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export interface CollectorStatus {
  state: CollectorState;
  source: string;
  sourceReachable: boolean;
  reconnectAttempts: number;
  lastError: string | null;
  /** Captured and published completely up to here. */
  published: string | null;
  eventsPublished: number;
  lastEventWallTime: string | null;
  copy: { copyId: string; documents: number; collectionsDone: number; collections: number } | null;
  gapsRecorded: number;
}

/** The server's ChangeStreamHistoryLost: the resume point fell off the oplog. */
export function isHistoryLost(err: unknown): boolean {
  const e = err as { code?: unknown; codeName?: unknown } | null;
  return e?.code === 286 || e?.codeName === 'ChangeStreamHistoryLost';
}

/** Batches handed to the log before the oldest must be acknowledged. */
const MAX_INFLIGHT = 4;

export class Collector {
  private readonly o: Required<Omit<CollectorOptions, 'scope'>>;
  private readonly filter: NamespaceFilter;
  private readonly lifecycle: Lifecycle;
  private readonly log: Logger;
  private readonly stopController = new AbortController();
  private publishChain: Promise<void> = Promise.resolve();
  /** The last point the log has acknowledged: where a reconnect resumes. */
  private point: ResumePoint | null = null;
  /** The last point handed to the log (maybe not acknowledged yet): what the next batch continues from. */
  private queued: ResumePoint | null = null;
  /**
   * Publishes not yet acknowledged, oldest first. Reading and normalizing the next batch overlaps the
   * log's acknowledgement of the previous ones; points are committed strictly in order as they resolve.
   */
  private inflight: Promise<void>[] = [];
  /**
   * Resume points are saved one at a time, newest first: a save waiting behind the running one writes
   * whatever point is newest when it starts, for every batch acknowledged meanwhile. A save per batch
   * (a state file: write, fsync, rename, fsync of its folder) cost `rewind collect` a dozen file-system
   * round trips per batch, on the path of its in-flight window, and overlapping saves could rename an
   * older point over a newer one.
   */
  private saveWaiting: { point: ResumePoint; done: Promise<void> } | null = null;
  private saveRunning: Promise<void> = Promise.resolve();
  private assigner: PositionAssigner | null = null;
  private fragments: RawChangeEvent[] = [];
  private lastCheckpointAt = 0;
  private lastEventWallTimeMs: number | null = null;
  private copyTask: Promise<void> | null = null;
  private copyAbort: AbortController | null = null;
  private runPromise: Promise<void> | null = null;
  private readonly statusView: Omit<CollectorStatus, 'state' | 'published'> & { published: string | null };

  constructor(options: CollectorOptions) {
    this.o = {
      pollWaitMs: 1000,
      heartbeatMs: 1000,
      copyBatchSize: 1000,
      retryBaseMs: 500,
      retryMaxMs: 30_000,
      ...options,
    };
    this.filter = new NamespaceFilter(options.scope);
    this.log = options.log.child({ component: 'collector' });
    this.lifecycle = new Lifecycle(this.log);
    this.statusView = {
      source: options.source.describe(),
      sourceReachable: false,
      reconnectAttempts: 0,
      lastError: null,
      published: null,
      eventsPublished: 0,
      lastEventWallTime: null,
      copy: null,
      gapsRecorded: 0,
    };
  }

  get state(): CollectorState {
    return this.lifecycle.state;
  }

  status(): CollectorStatus {
    const wall = this.lastEventWallTimeMs;
    return {
      ...this.statusView,
      lastEventWallTime: wall === null ? this.statusView.lastEventWallTime : new Date(wall).toISOString(),
      state: this.lifecycle.state,
      published: this.point?.durable ?? null,
    };
  }

  /** Runs until stop() (resolves after draining) or a fault no retry can fix (rejects). */
  run(): Promise<void> {
    this.runPromise ??= this.loop();
    return this.runPromise;
  }

  /** Drains: finishes the batch in hand, publishes and commits it, closes the stream, then the log producer. */
  async stop(): Promise<void> {
    this.stopController.abort();
    this.copyAbort?.abort();
    if (this.runPromise) await this.runPromise.catch(() => undefined);
    else if (this.lifecycle.state === 'idle') this.lifecycle.to('stopped');
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private async loop(): Promise<void> {
    this.lifecycle.to('starting');
    try {
      this.point = await this.o.resumeStore.load();
      let attempt = 0;
      while (!this.stopping) {
        try {
          await this.streamOnce();
          attempt = 0;
        } catch (err) {
          if (this.stopping) break;
          if (isHistoryLost(err)) {
            await this.recordGap(err);
            continue;
          }
          if (!isRetryableSourceError(err)) throw err;
          attempt += 1;
          this.statusView.sourceReachable = false;
          this.statusView.reconnectAttempts = attempt;
          this.statusView.lastError = errorLine(err);
          const delay = backoffDelayMs(attempt - 1, this.o.retryBaseMs, this.o.retryMaxMs);
          this.lifecycle.to('reconnecting', { attempt, retryInMs: delay, error: this.statusView.lastError });
          await sleep(delay, this.stopController.signal);
          if (!this.stopping) this.lifecycle.to('starting', { attempt });
        }
      }
      this.lifecycle.to('draining');
      this.copyAbort?.abort();
      await this.copyTask?.catch(() => undefined);
      await this.publishChain;
      await this.o.producer.close();
      this.lifecycle.to('stopped', { published: this.point?.durable ?? null });
    } catch (err) {
      this.statusView.lastError = errorLine(err);
      this.copyAbort?.abort();
      await this.copyTask?.catch(() => undefined);
      this.lifecycle.to('failed', { err });
      throw err;
    }
  }

  /** One life of the change stream: open, (copy,) read until stopped or an error. */
  private async streamOnce(): Promise<void> {
    let start: StreamStart;
    let fresh = false;
    if (this.point && typeof this.point.token._data === 'string') {
      start = { kind: 'after', token: tokenFromJson(this.point.token) };
    } else if (this.point) {
      // A point without a token (stopped before the first event or heartbeat): start at its cluster time again.
      const d = parsePosition(this.point.durable);
      start = { kind: 'at', clusterTime: new Timestamp({ t: d.seconds, i: d.index === INDEX_MAX ? d.increment + 1 : d.increment }) };
    } else {
      // Take the stream's starting point first, then copy: copy + log then converge.
      const now = await this.o.source.currentClusterTime();
      start = { kind: 'at', clusterTime: now };
      fresh = true;
      this.point = { token: {}, durable: formatPosition(positionBefore(now)), copyComplete: false };
    }
    const cursor: ChangeCursor = await this.o.source.open(start);
    this.statusView.sourceReachable = true;
    this.statusView.reconnectAttempts = 0;
    this.queued = this.point;
    this.assigner = new PositionAssigner(parsePosition(this.point.durable));
    this.fragments = [];
    this.log.info({ start: start.kind, from: this.point.durable, fresh }, 'change stream open');
    try {
      if (!this.point.copyComplete) this.startCopy(fresh);
      this.lifecycle.to(this.copyTask ? 'copying' : 'streaming');
      let invalidated = false;
      while (!this.stopping && !invalidated) {
        const batch = await cursor.next(this.o.pollWaitMs);
        invalidated = await this.handleBatch(batch);
      }
      await this.settleInflight();
    } finally {
      // Whatever happened, know exactly what the log acknowledged before resuming from it.
      await this.settleInflight().catch(() => undefined);
      await cursor.close().catch((err: unknown) => this.log.warn({ err }, 'closing the change stream failed'));
    }
  }

  /** Normalizes, publishes and commits one batch. Returns true after an invalidate (the stream must be reopened). */
  private async handleBatch(batch: RawBatch): Promise<boolean> {
    const point = this.queued;
    const assigner = this.assigner;
    if (!point || !assigner) throw new CollectorError('COLLECTOR_STOPPED', {});
    const records: LogRecord[] = [];
    // The last event's resume token (bytes); turned into extended JSON once per batch, not per event.
    let lastToken: Buffer | null = null;
    let invalidated = false;
    for (const piece of batch.events) {
      // The event's top-level fields, located in its bytes in one pass; nothing is decoded (raw-change-event.ts).
      let ev = readRawChangeEvent(piece);
      const split = ev.splitEvent();
      if (split !== undefined) {
        this.fragments.push(ev);
        if (split.fragment !== split.of) continue;
        ev = reassembleSplitEvent(this.fragments);
        this.fragments = [];
      }
      const ct = ev.timestamp('clusterTime');
      if (!ct) {
        let eventId = '(unknown)';
        try {
          eventId = ev.tokenData() ?? eventId;
        } catch {
          // keeps "(unknown)"
        }
        throw new CollectorError('EVENT_REJECTED', { eventId, detail: 'clusterTime is missing or not a timestamp' });
      }
      // Every event takes its index, captured or not, so numbering never depends on the scope.
      const at = assigner.next(ct.seconds, ct.increment);
      if (ev.type('_id') === 0x03) lastToken = ev.value('_id');
      const op = ev.string('operationType');
      const ns = ev.namespace('ns');
      const to = op === 'rename' ? ev.namespace('to') : undefined;
      const captured =
        op === 'invalidate' ||
        this.filter.captures(ns?.db ?? '', ns?.coll ?? null) ||
        (to?.db !== undefined && to.coll !== undefined && this.filter.captures(to.db, to.coll));
      if (!captured) continue;
      try {
        const event = normalizeChangeEvent(ev, { index: at.index, fullDocumentMode: 'whenAvailable' });
        records.push({ kind: 'event', event });
        // Kept as a number; status() formats it (a date string per event was a visible cost).
        if (event.wallTimeMs !== null) this.lastEventWallTimeMs = event.wallTimeMs;
        if (event.op === 'invalidate') invalidated = true;
      } catch (err) {
        // DDL that changes no document or collection rewind restores (shardCollection, reshard…): logged, skipped.
        if (err instanceof ChangeEventNormalizeError && err.code === 'UNKNOWN_OPERATION_TYPE') {
          this.log.warn({ eventId: err.eventId, op, position: formatPosition(at) }, 'skipping an event type rewind does not capture');
          continue;
        }
        throw err;
      }
      if (invalidated) break;
    }
    let token: Record<string, unknown> | null = lastToken ? tokenToJson(lastToken) : null;
    // A split event still arriving: the last whole event is the resume point, not a fragment.
    if (this.fragments.length === 0 && batch.postBatchResumeToken && !invalidated) {
      const ts = tokenClusterTime(batch.postBatchResumeToken);
      if (ts) assigner.advanceTo(positionBefore(ts));
      token = tokenToJson(batch.postBatchResumeToken);
    }
    const durable: Position = assigner.current;
    // The first token after a fresh start is worth a checkpoint even when no time passed: it is the resume point.
    const advanced = comparePositions(durable, parsePosition(point.durable)) > 0 || (token !== null && typeof point.token._data !== 'string');
    if (records.length === 0) {
      if (!token || !advanced) return invalidated;
      if (Date.now() - this.lastCheckpointAt < this.o.heartbeatMs) return invalidated;
    }
    const next: ResumePoint = { token: token ?? point.token, durable: formatPosition(durable), copyComplete: point.copyComplete };
    records.push({ kind: 'checkpoint', checkpoint: { resumeToken: next.token, position: next.durable, durable: next.durable } });
    this.queued = next;
    this.lastCheckpointAt = Date.now();
    const events = records.length - 1;
    const acknowledged = this.publish(records).then(async () => {
      this.point = { ...next, copyComplete: this.point?.copyComplete ?? next.copyComplete };
      this.statusView.eventsPublished += events;
      await this.persist(this.point);
    });
    // Observed here so that a failure waiting in the queue is never an unhandled rejection; rethrown when awaited.
    acknowledged.catch(() => undefined);
    this.inflight.push(acknowledged);
    while (this.inflight.length > MAX_INFLIGHT) await this.inflight.shift();
    return invalidated;
  }

  /** Resolves once `point`, or a newer point, is saved; rejects if that save fails. */
  private persist(point: ResumePoint): Promise<void> {
    const waiting = this.saveWaiting;
    if (waiting) {
      waiting.point = point;
      return waiting.done;
    }
    const save = { point, done: Promise.resolve() };
    save.done = this.saveRunning
      .catch(() => undefined)
      .then(() => {
        // Running now: points acknowledged from here on wait for the next save.
        this.saveWaiting = null;
        return this.o.resumeStore.saved(save.point);
      });
    this.saveWaiting = save;
    this.saveRunning = save.done;
    return save.done;
  }

  /** Waits for every publish in flight; rejects with the first failure. */
  private async settleInflight(): Promise<void> {
    const pending = this.inflight.splice(0);
    const results = await Promise.allSettled(pending);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Records go into the log strictly in call order (stream batches and copy records interleave). */
  private publish(records: LogRecord[]): Promise<void> {
    const p = this.publishChain.then(() => this.o.producer.publish(records));
    this.publishChain = p.catch(() => undefined);
    return p;
  }

  private startCopy(fresh: boolean): void {
    if (this.copyTask || !this.point) return;
    const copyId = randomUUID();
    const at = this.point.durable;
    const abort = new AbortController();
    this.copyAbort = abort;
    this.log.info({ copyId, at, fresh }, 'initial copy starting; the stream is recording from here');
    this.statusView.copy = { copyId, documents: 0, collectionsDone: 0, collections: 0 };
    const task = (async () => {
      let attempt = 0;
      for (;;) {
        try {
          await this.publish([{ kind: 'copy-start', copyId, at }]);
          const result = await runInitialCopy({
            copyId,
            source: this.o.copySource,
            filter: this.filter,
            publish: (r) => this.publish(r),
            log: this.log,
            signal: abort.signal,
            batchSize: this.o.copyBatchSize,
            onProgress: (p) => (this.statusView.copy = { copyId, ...p }),
          });
          if (abort.signal.aborted) return;
          // The copy read everything before `end`; once the stream has published up to there, copy + log converge.
          const end = positionBefore(await this.o.source.currentClusterTime());
          while (!abort.signal.aborted && (comparePositions(parsePosition(this.point?.durable ?? '0.0.0'), end) < 0 || typeof this.point?.token._data !== 'string')) {
            await sleep(50, abort.signal);
          }
          if (abort.signal.aborted) return;
          await this.publish([{ kind: 'copy-end', copyId, at: formatPosition(end) }]);
          if (this.point) this.point = { ...this.point, copyComplete: true };
          await this.persist(this.point as ResumePoint);
          this.log.info({ copyId, ...result, at: formatPosition(end) }, 'initial copy complete');
          return;
        } catch (err) {
          if (abort.signal.aborted) return;
          attempt += 1;
          const delay = backoffDelayMs(attempt - 1, this.o.retryBaseMs, this.o.retryMaxMs);
          this.log.error({ err, copyId, attempt, retryInMs: delay }, 'initial copy failed; starting it again');
          await sleep(delay, abort.signal);
          if (abort.signal.aborted) return;
        }
      }
    })().finally(() => {
      if (this.copyTask === task) {
        this.copyTask = null;
        this.statusView.copy = null;
        if (this.lifecycle.state === 'copying') this.lifecycle.to('streaming');
      }
    });
    this.copyTask = task;
  }

  /** The stream's history is gone: record the gap loudly, then start over with a fresh stream and a new copy. */
  private async recordGap(err: unknown): Promise<void> {
    const from = this.point?.durable ?? '0.0.0';
    const reason = `change stream history lost after ${from}: ${err instanceof Error ? err.message : String(err)}`;
    this.log.fatal({ err, from }, `GAP: ${reason}; taking a new initial copy`);
    this.copyAbort?.abort();
    await this.copyTask?.catch(() => undefined);
    await this.publish([{ kind: 'gap', from, reason }]);
    this.statusView.gapsRecorded += 1;
    this.point = null;
    this.queued = null;
    this.lifecycle.to('starting', { after: 'gap' });
  }
}

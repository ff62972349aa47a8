/**
 * The archiver: event log → segments → catalog. A small coordinator over its
 * parts, one concern each:
 * - archived-position.ts: the last archived event; re-deliveries dropped by position;
 * - segment-roller.ts: the open segment, rolled by size and age, made durable in
 *   the background and committed strictly in order;
 * - commit-order.ts: resume token and durable position committed with the
 *   segment holding their events, the log's own position (Kafka offsets) after;
 * - copy-assembler.ts: the initial copy arriving through the log → the first base;
 * - compactor.ts: scheduled compaction beside archiving;
 * - retention-pruner.ts: deletes what no kept point needs;
 * - catalog-writes.ts: gaps, the source deployment, updates that take their files back on failure.
 * The loop below reads the log and hands each record to the part it concerns.
 */
import { comparePositions, formatPosition, parsePosition, position } from '../../contracts/index.js';
import type { Position } from '../../contracts/index.js';
import { errorLine } from '../../contracts/errors.js';
import type { EventHead, LogRecord } from '../eventlog/log-record.js';
import type { ArchiverOptions } from './archiver-options.js';
import { ArchivedPosition } from './archived-position.js';
import { CatalogWrites } from './catalog-writes.js';
import { CommitOrder } from './commit-order.js';
import type { Covered } from './commit-order.js';
import { Compactor } from './compactor.js';
import { CopyAssembler } from './copy-assembler.js';
import { removeUnreferencedFiles } from './orphan-files.js';
import { RetentionPruner } from './retention-pruner.js';
import { SegmentRoller } from './segment-roller.js';

export type ArchiverState = 'idle' | 'running' | 'draining' | 'stopped' | 'failed';

export interface ArchiverStatus {
  state: ArchiverState;
  durable: string | null;
  eventsArchived: number;
  duplicatesDropped: number;
  segmentsWritten: number;
  openSegment: { events: number; bytes: number } | null;
  copy: { copyId: string; documents: number } | null;
  lastCommitAt: string | null;
  lastCompactionAt: string | null;
  lastError: string | null;
}

const eventPos = (e: EventHead): Position => position(e.seconds, e.increment, e.index);
/** `CODE: message` for the status file's lastError (contracts/errors.ts). */
const message = (err: unknown): string => errorLine(err);

export class Archiver {
  private readonly o: ArchiverOptions;
  private readonly log: ArchiverOptions['log'];
  private state: ArchiverState = 'idle';
  private stopRequested = false;
  private runPromise: Promise<void> | null = null;
  private lastError: string | null = null;
  private lastMaintenance = 0;

  private readonly archived: ArchivedPosition;
  private readonly writes: CatalogWrites;
  private readonly commits: CommitOrder;
  private readonly roller: SegmentRoller<Covered>;
  private readonly copies: CopyAssembler;
  private readonly compactor: Compactor;
  private readonly retention: RetentionPruner;

  constructor(options: ArchiverOptions) {
    this.o = options;
    const log = options.log.child({ component: 'archiver' });
    this.log = log;
    const { store, catalog, codec } = options;
    this.archived = new ArchivedPosition(log);
    this.writes = new CatalogWrites(store, catalog, log);
    this.copies = new CopyAssembler({ store, catalog, writes: this.writes, codec, compaction: options.compaction, log });
    this.commits = new CommitOrder(options.consumer, this.writes, () => this.copies.logFloor());
    this.roller = new SegmentRoller<Covered>({
      store,
      codec,
      maxBytes: options.segmentMaxBytes,
      maxAgeMs: options.segmentMaxAgeMs,
      log,
      commit: (entry, covered) => this.commits.commit(entry, covered),
    });
    this.compactor = new Compactor({
      store,
      catalog,
      writes: this.writes,
      codec,
      policy: options.compaction,
      log,
      eventsSinceSnapshot: () => this.archived.eventsSinceSnapshot,
      snapshotTaken: () => this.archived.snapshotTaken(),
      copyActive: () => this.copies.active,
      onError: (err) => (this.lastError = message(err)),
    });
    this.retention = new RetentionPruner(store, catalog, options.retention, log);
  }

  status(): ArchiverStatus {
    return {
      state: this.state,
      durable: this.commits.durable ? formatPosition(this.commits.durable) : null,
      eventsArchived: this.archived.eventsArchived,
      duplicatesDropped: this.archived.duplicatesDropped,
      segmentsWritten: this.roller.segmentsWritten,
      lastCommitAt: this.commits.lastCommitAt,
      lastCompactionAt: this.compactor.lastCompactionAt,
      lastError: this.lastError,
      openSegment: this.roller.open,
      copy: this.copies.status,
    };
  }

  run(): Promise<void> {
    this.runPromise ??= this.loop();
    return this.runPromise;
  }

  /** Drains: finishes the records in hand, rolls the open segment, commits, then closes the log consumer. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.runPromise) await this.runPromise.catch(() => undefined);
  }

  private setState(next: ArchiverState, detail: Record<string, unknown> = {}): void {
    const from = this.state;
    this.state = next;
    this.log[next === 'failed' ? 'error' : 'info']({ from, to: next, ...detail }, `archiver ${from} → ${next}`);
  }

  private async loop(): Promise<void> {
    this.setState('running');
    await this.o.catalog.init(this.o.sourceId);
    await this.o.catalog.acquire();
    try {
      // Files a failed catalog update or a kill left behind (the lock is ours: nobody else writes files now).
      const orphans = await removeUnreferencedFiles(this.o.store, this.o.catalog);
      if (orphans.length > 0) this.log.warn({ files: orphans }, 'removed archive files no catalog generation names (left by a failed or killed run)');
      const catalog = await this.o.catalog.read();
      this.commits.startFrom(catalog);
      this.archived.startFrom(this.commits.durable, catalog);
      const pollWait = this.o.pollWaitMs ?? 200;
      while (!this.stopRequested) {
        const delivery = await this.o.consumer.poll(pollWait);
        if (delivery) {
          for (const record of delivery.records) {
            // Events are most records: appended without a promise unless the segment writer is busy.
            const wait = record.kind === 'event' ? this.append(record) : this.handle(record);
            if (wait) await wait;
          }
          this.commits.handledCursor = delivery.cursor;
        }
        await this.maintain();
        if (!delivery && this.o.logEnded?.()) break;
      }
      this.setState('draining');
      await this.compactor.idle();
      await this.roll('drain');
      await this.commits.commitProgress(true);
      await this.copies.abort();
      this.setState('stopped', { durable: this.commits.durable ? formatPosition(this.commits.durable) : null });
    } catch (err) {
      this.lastError = message(err);
      await this.compactor.idle().catch(() => undefined);
      // A segment rolled before the failure may still become durable; the log is closed only after it settles.
      await this.roller.abandon();
      await this.copies.abort().catch(() => undefined);
      this.setState('failed', { err });
      throw err;
    } finally {
      await this.o.consumer.close().catch(() => undefined);
      await this.o.catalog.release().catch(() => undefined);
    }
  }

  private async handle(record: LogRecord): Promise<void> {
    switch (record.kind) {
      case 'event':
        return this.append(record);
      case 'checkpoint':
        return this.commits.offer(record.checkpoint);
      case 'copy-start':
        return this.startCopy(record.copyId, record.at);
      case 'copy-collection':
        if (this.copies.isCurrent(record.copyId)) this.copies.addCollection(record.metadata);
        return;
      case 'copy-documents':
        if (!this.copies.isCurrent(record.copyId)) return;
        return this.copies.addDocuments(record.ns, record.documents);
      case 'copy-end':
        if (!this.copies.isCurrent(record.copyId)) return;
        return this.finishCopy(parsePosition(record.at));
      case 'gap':
        return this.recordGap(record.from, record.reason);
      case 'source':
        return this.writes.recordDeployment(record.deployment);
    }
  }

  /** Appends one event to the open segment; a re-delivered event is dropped. */
  private append(record: Extract<LogRecord, { kind: 'event' }>): Promise<void> | undefined {
    // An event that arrived encoded (Kafka) is copied into the segment as it is, never decoded.
    const encoded = record.encoded;
    const head: EventHead = encoded ? encoded.head : record.event;
    const at = eventPos(head);
    if (this.archived.isDuplicate(at, head.id)) return undefined;
    const wait = encoded ? this.roller.appendEncoded(head, encoded.avro) : this.roller.append(record.event);
    if (wait) return wait.then(() => this.archived.archived(at, head.id));
    this.archived.archived(at, head.id);
    return undefined;
  }

  /** The furthest point the archive knows to be complete: committed, pending, or the last archived event. */
  private knownUpTo(): Position | null {
    let known = this.commits.durable;
    for (const p of [this.commits.pendingDurable, this.archived.last]) if (p && (!known || comparePositions(p, known) > 0)) known = p;
    return known;
  }

  private async startCopy(copyId: string, at: string): Promise<void> {
    // What the archive knows (knownUpTo) and the copy's floor must not race a segment still rolling.
    await this.roller.settle();
    await this.copies.abort();
    // A copy re-delivered after its base was committed (a crash before the log commit) is not built twice.
    const current = await this.o.catalog.read();
    if (current.snapshots.some((s) => s.id.endsWith(`-initial-copy-${copyId}`))) {
      this.log.info({ copyId }, 'initial copy already in the catalog; skipping its re-delivery');
      return;
    }
    // A collector that starts over after the archive's last known point (its resume point was lost)
    // leaves a hole: record it as a gap, never paper over it.
    const known = this.knownUpTo();
    if (known && comparePositions(parsePosition(at), known) > 0 && !current.gaps.some((g) => g.to === undefined)) {
      await this.recordGap(formatPosition(known), `the collector started over at ${at} without resuming from ${formatPosition(known)}`);
    }
    this.copies.start(copyId, at, this.commits.handledCursor ?? this.commits.committedCursor);
  }

  private async finishCopy(end: Position): Promise<void> {
    const done = await this.copies.finishFiles();
    if (!done) return;
    // The events up to the copy's end must be in catalogued segments before they are folded in.
    await this.roll('copy-end');
    await this.copies.commitBase(done, end);
    this.archived.snapshotTaken();
  }

  /** Rolls by size or age; commits progress without events; compacts and applies retention when due. */
  private async maintain(): Promise<void> {
    const now = Date.now();
    this.roller.throwIfFailed();
    const due = this.roller.due(now);
    if (due) {
      await this.roller.whenRoom();
      this.roller.start(due, this.commits.take());
    } else if (!this.roller.open && now - this.commits.lastProgressCommitMs >= this.o.segmentMaxAgeMs) {
      // A checkpoint may cover events of the segment still rolling: it is committed after that segment.
      await this.roller.settle();
      await this.commits.commitProgress(false);
    }
    if (now - this.lastMaintenance >= 1000 && !this.compactor.busy) {
      this.lastMaintenance = now;
      // Retention waits for compaction, so it never deletes a file compaction is reading.
      await this.retention.apply();
      this.compactor.start();
    }
  }

  /** Rolls the open segment and waits until it (and every segment rolled before it) is durable and catalogued. */
  private roll(reason: string): Promise<void> {
    return this.roller.roll(reason, () => this.commits.take());
  }

  private async recordGap(from: string, reason: string): Promise<void> {
    await this.roll('gap');
    await this.copies.drop();
    await this.writes.recordGap(from, reason);
  }
}

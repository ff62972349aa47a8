/**
 * The archiver: event log → segments (rolled by size and by age) → catalog,
 * with the resume token and the durable position committed in the same
 * atomic catalog update as the segment holding the events they cover, and the
 * log's own position (Kafka offsets) committed only after that. A segment
 * rolled by size or age is made durable in the background while the next one
 * fills (a few at a time, catalogued strictly in order): its file, catalog and
 * directory fsyncs (a second or more on a busy machine) no longer stall the log.
 * Builds the
 * first base snapshot from the initial copy, compacts on a schedule or after a
 * volume of events, and applies retention.
 *
 * Re-delivered events (a restarted Kafka consumer, a collector that resumed
 * from an older point) are absorbed by position: the log is in one total
 * order, so an event at or before the last archived position is a duplicate.
 */
import { INDEX_MAX, compareDeployments, comparePositions, describeDeployment, formatPosition, isIdentifying, parsePosition, position } from '../../contracts/index.js';
import type { Catalog, CollectionMetadata, DeploymentIdentity, Position, SegmentEntry } from '../../contracts/index.js';
import { errorLine } from '../../contracts/errors.js';
import { SegmentWriter, deleteFileAndEnvelopes, isArchiveError } from '../archive/index.js';
import type { LogCursor } from '../eventlog/event-log.js';
import type { Checkpoint, EventHead, LogRecord } from '../eventlog/log-record.js';
import type { ArchiverOptions } from './archiver-options.js';
import { buildBase } from './base-builder.js';
import { CopyBuilder } from './copy-builder.js';
import { minCursor } from './cursor-order.js';
import { discardUncatalogued, removeUnreferencedFiles } from './orphan-files.js';
import { planRetention } from './retention.js';

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

/** Rolled segments in the background at most (each finishing, or waiting for the catalog). */
const MAX_ROLLING = 3;

const eventPos = (e: EventHead): Position => position(e.seconds, e.increment, e.index);

/** The last position before `p`'s clusterTime group: compaction never splits a transaction still arriving. */
function wholeTransactionsUpTo(p: Position): Position {
  if (p.index === INDEX_MAX) return p;
  if (p.increment > 0) return position(p.seconds, p.increment - 1, INDEX_MAX);
  return p.seconds > 0 ? position(p.seconds - 1, 0xffff_ffff, INDEX_MAX) : position(0, 0, 0);
}

export class Archiver {
  private readonly o: ArchiverOptions;
  private readonly log: ArchiverOptions['log'];
  private state: ArchiverState = 'idle';
  private stopRequested = false;
  private runPromise: Promise<void> | null = null;

  private segment: SegmentWriter | null = null;
  private segmentOpenedAt = 0;
  private lastArchived: Position | null = null;
  private lastArchivedId: string | null = null;
  private committedDurable: Position | null = null;
  private committedToken = false;
  private pendingCheckpoint: Checkpoint | null = null;
  private handledCursor: LogCursor | null = null;
  /**
   * Rolled segments not yet settled, oldest first: each settles once its file is durable, it is in the
   * catalog with the checkpoint it covers, and its log position is committed. Each waits for the one
   * before it, so a failure stops every later commit; the failure is kept and rethrown by the loop.
   */
  private readonly rolling: Promise<void>[] = [];
  private rollFailure: Error | null = null;
  private committedCursor: LogCursor | null = null;
  private copy: CopyBuilder | null = null;
  private copyMetadata: CollectionMetadata[] = [];
  /** While a copy is being built, the log may not forget anything from its start (a crash must see it again). */
  private copyFloor: LogCursor | null = null;
  private lastProgressCommit = 0;
  private lastCompactionCheck = 0;
  private compaction: Promise<void> | null = null;
  private eventsSinceSnapshot = 0;
  private readonly stats = { eventsArchived: 0, duplicatesDropped: 0, segmentsWritten: 0, lastCommitAt: null as string | null, lastCompactionAt: null as string | null, lastError: null as string | null };

  constructor(options: ArchiverOptions) {
    this.o = options;
    this.log = options.log.child({ component: 'archiver' });
  }

  status(): ArchiverStatus {
    return {
      state: this.state,
      durable: this.committedDurable ? formatPosition(this.committedDurable) : null,
      ...this.stats,
      openSegment: this.segment ? { events: this.segment.count, bytes: this.segment.bytesWritten } : null,
      copy: this.copy ? { copyId: this.copy.copyId, documents: this.copy.documents } : null,
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
      this.committedDurable = catalog.durable ? parsePosition(catalog.durable) : null;
      this.committedToken = catalog.resumeToken !== undefined;
      this.lastArchived = this.committedDurable;
      this.eventsSinceSnapshot = this.countEventsSinceSnapshot(catalog);
      const pollWait = this.o.pollWaitMs ?? 200;
      while (!this.stopRequested) {
        const delivery = await this.o.consumer.poll(pollWait);
        if (delivery) {
          for (const record of delivery.records) {
            // Events are most records: appended without a promise unless the segment writer is busy.
            const wait = record.kind === 'event' ? this.append(record) : this.handle(record);
            if (wait) await wait;
          }
          this.handledCursor = delivery.cursor;
        }
        await this.maintain();
        if (!delivery && this.o.logEnded?.()) break;
      }
      this.setState('draining');
      await this.compaction;
      await this.roll('drain');
      await this.commitProgress(true);
      await this.copy?.abort();
      this.copy = null;
      this.setState('stopped', { durable: this.committedDurable ? formatPosition(this.committedDurable) : null });
    } catch (err) {
      this.stats.lastError = errorLine(err);
      await this.compaction?.catch(() => undefined);
      // A segment rolled before the failure may still become durable; the log is closed only after it settles.
      await Promise.allSettled(this.rolling);
      await this.segment?.abort().catch(() => undefined);
      await this.copy?.abort().catch(() => undefined);
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
      case 'checkpoint': {
        const cp = record.checkpoint;
        const at = parsePosition(cp.durable);
        if (this.committedDurable && this.committedToken && comparePositions(at, this.committedDurable) <= 0) return;
        if (!this.pendingCheckpoint || comparePositions(at, parsePosition(this.pendingCheckpoint.durable)) > 0) this.pendingCheckpoint = cp;
        return;
      }
      case 'copy-start':
        // What the archive knows (knownUpTo) and the copy's floor must not race a segment still rolling.
        await this.settleRoll();
        await this.copy?.abort();
        this.copy = null;
        // A copy re-delivered after its base was committed (a crash before the log commit) is not built twice.
        {
          const current = await this.o.catalog.read();
          if (current.snapshots.some((s) => s.id.endsWith(`-initial-copy-${record.copyId}`))) {
            this.log.info({ copyId: record.copyId }, 'initial copy already in the catalog; skipping its re-delivery');
            return;
          }
          // A collector that starts over after the archive's last known point (its resume point was lost)
          // leaves a hole: record it as a gap, never paper over it.
          const known = this.knownUpTo();
          if (known && comparePositions(parsePosition(record.at), known) > 0 && !current.gaps.some((g) => g.to === undefined)) {
            await this.recordGap(formatPosition(known), `the collector started over at ${record.at} without resuming from ${formatPosition(known)}`);
          }
        }
        this.copy = new CopyBuilder(this.o.store, record.copyId, record.at, this.o.codec);
        this.copyMetadata = [];
        this.copyFloor = this.handledCursor ?? this.committedCursor;
        this.log.info({ copyId: record.copyId, at: record.at }, 'initial copy arriving');
        return;
      case 'copy-collection':
        if (this.copy?.copyId !== record.copyId) return;
        this.copy.addCollection(record.metadata);
        this.copyMetadata.push(record.metadata);
        return;
      case 'copy-documents':
        if (this.copy?.copyId !== record.copyId) return;
        return this.copy.addDocuments(record.ns, record.documents);
      case 'copy-end':
        if (this.copy?.copyId !== record.copyId) return;
        return this.finishCopy(parsePosition(record.at));
      case 'gap':
        return this.recordGap(record.from, record.reason);
      case 'source':
        return this.recordDeployment(record.deployment);
    }
  }

  /** The furthest point the archive knows to be complete: committed, pending, or the last archived event. */
  private knownUpTo(): Position | null {
    let known = this.committedDurable;
    const pending = this.pendingCheckpoint ? parsePosition(this.pendingCheckpoint.durable) : null;
    for (const p of [pending, this.lastArchived]) if (p && (!known || comparePositions(p, known) > 0)) known = p;
    return known;
  }

  /** Appends one event to the open segment (opening one); a re-delivered event is dropped. */
  private append(record: Extract<LogRecord, { kind: 'event' }>): Promise<void> | undefined {
    // An event that arrived encoded (Kafka) is copied into the segment as it is, never decoded.
    const encoded = record.encoded;
    const head: EventHead = encoded ? encoded.head : record.event;
    const at = eventPos(head);
    if (this.lastArchived && comparePositions(at, this.lastArchived) <= 0) {
      // In one total order a re-delivery repeats positions; the same position with another id is not a duplicate.
      if (this.lastArchivedId !== null && comparePositions(at, this.lastArchived) === 0 && head.id !== this.lastArchivedId) {
        this.log.error({ position: formatPosition(at), archived: this.lastArchivedId, got: head.id }, 'two different events at one position; keeping the first');
      }
      this.stats.duplicatesDropped += 1;
      return undefined;
    }
    if (!this.segment) {
      this.segment = new SegmentWriter(this.o.store, { codec: this.o.codec });
      this.segmentOpenedAt = Date.now();
    }
    const wait = encoded ? this.segment.appendEncoded(head, encoded.avro) : this.segment.append(record.event);
    if (wait) return wait.then(() => this.archived(at, head.id));
    this.archived(at, head.id);
    return undefined;
  }

  private archived(at: Position, id: string): void {
    this.lastArchived = at;
    this.lastArchivedId = id;
    this.stats.eventsArchived += 1;
    this.eventsSinceSnapshot += 1;
  }

  /** Rolls by size or age; commits progress without events; compacts and applies retention when due. */
  private async maintain(): Promise<void> {
    const now = Date.now();
    if (this.rollFailure) throw this.rollFailure;
    if (this.segment && (this.segment.bytesWritten >= this.o.segmentMaxBytes || now - this.segmentOpenedAt >= this.o.segmentMaxAgeMs)) {
      // Past a few rolls in the background, wait for the oldest: bounds the work (and memory) behind the log.
      while (this.rolling.length >= MAX_ROLLING) await this.rolling[0];
      this.startRoll(this.segment.bytesWritten >= this.o.segmentMaxBytes ? 'size' : 'age');
    } else if (!this.segment && now - this.lastProgressCommit >= this.o.segmentMaxAgeMs) {
      // A checkpoint may cover events of the segment still rolling: it is committed after that segment.
      await this.settleRoll();
      await this.commitProgress(false);
    }
    if (now - this.lastCompactionCheck >= 1000 && !this.compaction) {
      this.lastCompactionCheck = now;
      // Compaction runs beside archiving (it reads catalogued files only), so a long one never stalls the log;
      // retention waits for it, so it never deletes a file compaction is reading.
      await this.applyRetention();
      this.compaction = this.compactIfDue()
        .catch((err: unknown) => {
          this.stats.lastError = errorLine(err);
          this.log.error({ err }, 'compaction check failed');
        })
        .finally(() => (this.compaction = null));
    }
  }

  /** Rolls the open segment and waits until it (and every segment rolled before it) is durable and catalogued. */
  private async roll(reason: string): Promise<void> {
    await this.settleRoll();
    this.startRoll(reason);
    await this.settleRoll();
  }

  /**
   * Hands the open segment over: its file is finished and synced at once, beside the rolls before it; then,
   * after the roll before it settled, it is catalogued with the checkpoint it covers and its log position
   * committed. The next segment fills meanwhile. Everything handled so far is in this segment or an earlier
   * one, so the pending checkpoint and the handled cursor are exactly what it covers.
   */
  private startRoll(reason: string): void {
    const segment = this.segment;
    const cp = this.pendingCheckpoint;
    const cursor = this.handledCursor;
    this.segment = null;
    this.pendingCheckpoint = null;
    const durable = this.finishSegment(segment, reason);
    // Observed here; a failure reaches the loop through `settled`.
    durable.catch(() => undefined);
    const settled = (this.rolling.at(-1) ?? Promise.resolve()).then(async () => this.commitCatalog(await durable, cp, cursor));
    this.rolling.push(settled);
    settled.then(
      () => void this.rolling.shift(),
      (err: unknown) => {
        this.rollFailure ??= err instanceof Error ? err : new Error(String(err));
      },
    );
  }

  /** Waits until every rolled segment settled; rethrows a failure. */
  private async settleRoll(): Promise<void> {
    for (const settled of [...this.rolling]) await settled;
    if (this.rollFailure) throw this.rollFailure;
  }

  /** The segment's file, durable, and its catalog entry; null for an empty segment (nothing is written). */
  private async finishSegment(segment: SegmentWriter | null, reason: string): Promise<SegmentEntry | null> {
    if (!segment || segment.count === 0) {
      await segment?.abort();
      return null;
    }
    const entry = await segment.finish();
    this.stats.segmentsWritten += 1;
    this.log.info({ reason, segment: entry.id, events: entry.count, bytes: entry.file.bytes, first: entry.first, last: entry.last }, 'segment written');
    return entry;
  }

  private async commitProgress(force: boolean): Promise<void> {
    const cp = this.pendingCheckpoint;
    if (!force && !cp) {
      this.lastProgressCommit = Date.now();
      return this.commitLog(this.handledCursor);
    }
    this.pendingCheckpoint = null;
    await this.commitCatalog(null, cp, this.handledCursor);
  }

  /** Commits a durable segment and the checkpoint it covers in one catalog update, then the log position `cursor`. */
  private async commitCatalog(entry: SegmentEntry | null, cp: Checkpoint | null, cursor: LogCursor | null): Promise<void> {
    if (entry || cp) {
      await this.updateOrDiscard(entry ? [entry.file.path] : [], (draft) => {
        if (entry) draft.segments.push(entry);
        if (cp) {
          const at = parsePosition(cp.durable);
          if (!draft.durable || !draft.resumeToken || comparePositions(at, parsePosition(draft.durable)) > 0) {
            draft.durable = cp.durable;
            draft.resumeToken = cp.resumeToken;
          }
        }
        // Events whose checkpoint has not arrived yet are archived, but the resume point stays before them.
      });
      if (cp) {
        this.committedDurable = parsePosition(cp.durable);
        this.committedToken = true;
      }
      this.stats.lastCommitAt = new Date().toISOString();
    }
    this.lastProgressCommit = Date.now();
    await this.commitLog(cursor);
  }

  /** Tells the log what is durable: `cursor` (what was handled), but never past the start of a copy still being built. */
  private async commitLog(cursor: LogCursor | null): Promise<void> {
    if (!cursor) return;
    // copyFloor stays set from copy-start until the base built from the copy is in the catalog.
    const target = this.copy || this.copyFloor ? this.copyFloor : cursor;
    if (!target || (this.committedCursor && minCursor(target, this.committedCursor) === target)) return;
    await this.o.consumer.commit(target);
    this.committedCursor = target;
  }

  private async finishCopy(end: Position): Promise<void> {
    const copy = this.copy;
    if (!copy) return;
    const raw = await copy.finish();
    this.copy = null;
    // The events up to the copy's end must be in catalogued segments before they are folded in.
    await this.roll('copy-end');
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
    const metadata = this.copyMetadata;
    await this.updateOrDiscard(built.entry.namespaces.flatMap((n) => n.files.map((f) => f.path)), (draft) => {
      draft.snapshots.push(built.entry);
      const names = new Set(metadata.map((m) => m.ns));
      draft.collections = [...draft.collections.filter((c) => !names.has(c.ns)), ...metadata];
      for (const gap of draft.gaps) if (gap.to === undefined) gap.to = built.entry.position;
    });
    for (const ns of raw) for (const f of ns.files) await deleteFileAndEnvelopes(this.o.store, f.path);
    this.eventsSinceSnapshot = 0;
    this.copyFloor = null;
    this.log.info(
      { copyId: copy.copyId, snapshot: built.entry.id, position: built.entry.position, documents: copy.documents, eventsFolded: built.eventsApplied },
      'initial copy became the base snapshot',
    );
  }

  /**
   * A catalog update that adds the files `paths`: when it fails (a full disk), the files it would have
   * catalogued are removed again, so a failed roll leaves no orphan behind (and frees what it took).
   */
  private async updateOrDiscard(paths: readonly string[], fn: Parameters<ArchiverOptions['catalog']['update']>[0]): Promise<void> {
    try {
      await this.o.catalog.update(fn);
    } catch (err) {
      const removed = await discardUncatalogued(this.o.store, this.o.catalog, paths);
      if (removed.length > 0) this.log.error({ files: removed, err }, 'catalog update failed: removed the files it would have catalogued');
      throw err;
    }
  }

  /** Records the source deployment's identity once (re-deliveries and restarts find it there). */
  private async recordDeployment(identity: DeploymentIdentity): Promise<void> {
    if (!isIdentifying(identity)) return;
    const known = (await this.o.catalog.read()).deployments ?? [];
    if (known.some((d) => compareDeployments(d.identity, identity) === 'same' || JSON.stringify(d.identity) === JSON.stringify(identity))) return;
    await this.o.catalog.update((draft) => {
      draft.deployments = [...(draft.deployments ?? []), { identity, firstSeenAt: new Date().toISOString() }];
    });
    this.log.info({ deployment: describeDeployment(identity) }, 'source deployment recorded in the catalog');
  }

  private async recordGap(from: string, reason: string): Promise<void> {
    await this.roll('gap');
    await this.copy?.abort();
    this.copy = null;
    this.copyFloor = null;
    await this.o.catalog.update((draft) => {
      // A gap re-delivered after a crash (Kafka) is the same gap: record it once.
      if (!draft.gaps.some((g) => g.from === from && g.reason === reason)) draft.gaps.push({ from, reason, recordedAt: new Date().toISOString() });
    });
    this.log.fatal({ from, reason }, 'GAP recorded in the catalog: nothing between this point and the next base snapshot can be restored');
  }

  private countEventsSinceSnapshot(catalog: Catalog): number {
    const newest = catalog.snapshots.map((s) => parsePosition(s.position)).sort(comparePositions).at(-1);
    return catalog.segments.filter((s) => !newest || comparePositions(parsePosition(s.first), newest) > 0).reduce((n, s) => n + s.count, 0);
  }

  private async compactIfDue(): Promise<void> {
    const policy = this.o.compaction;
    if (policy.everyMs === null && policy.afterEvents === null) return;
    if (this.copy) return;
    const catalog = await this.o.catalog.read();
    if (!catalog.durable || catalog.snapshots.length === 0) return;
    if (catalog.gaps.some((g) => g.to === undefined)) return;
    const newest = [...catalog.snapshots].sort((a, b) => comparePositions(parsePosition(a.position), parsePosition(b.position))).at(-1);
    if (!newest) return;
    const basePos = parsePosition(newest.position);
    const upTo = wholeTransactionsUpTo(parsePosition(catalog.durable));
    if (comparePositions(upTo, basePos) <= 0) return;
    const byTime = policy.everyMs !== null && (Date.now() / 1000 - basePos.seconds) * 1000 >= policy.everyMs;
    const byVolume = policy.afterEvents !== null && this.eventsSinceSnapshot >= policy.afterEvents;
    if (!byTime && !byVolume) return;
    if (catalog.segments.every((s) => comparePositions(parsePosition(s.last), basePos) <= 0)) return;
    const started = Date.now();
    try {
      const built = await buildBase({
        store: this.o.store,
        catalog,
        base: { position: basePos, namespaces: newest.namespaces },
        upTo,
        kind: 'compaction',
        codec: this.o.codec,
        memoryBytes: policy.memoryBytes,
        ...(policy.tempDir ? { tempDir: policy.tempDir } : {}),
        onGap: 'throw',
      });
      await this.updateOrDiscard(
        built.entry.namespaces.flatMap((n) => n.files.map((f) => f.path)),
        (draft) => void draft.snapshots.push(built.entry),
      );
      this.eventsSinceSnapshot = 0;
      this.stats.lastCompactionAt = new Date().toISOString();
      this.log.info({ snapshot: built.entry.id, position: built.entry.position, events: built.eventsApplied, ms: Date.now() - started, reason: byVolume ? 'volume' : 'schedule' }, 'compacted into a new base snapshot');
    } catch (err) {
      // A failed compaction loses nothing (the segments stay); it is reported and tried again later.
      this.stats.lastError = errorLine(err);
      this.log.error({ err }, 'compaction failed; the archive is unchanged');
      if (isArchiveError(err) && !err.retryable) this.eventsSinceSnapshot = 0;
    }
  }

  private async applyRetention(): Promise<void> {
    if (this.o.retention.windowMs === null) return;
    const catalog = await this.o.catalog.read();
    const plan = planRetention(catalog, this.o.retention.windowMs, Date.now());
    if (plan.snapshots.length === 0 && plan.segments.length === 0) return;
    const dropSnapshots = new Set(plan.snapshots.map((s) => s.id));
    const dropSegments = new Set(plan.segments.map((s) => s.id));
    // Catalog first: a crash afterwards leaves unreferenced files, never a catalog naming missing ones.
    await this.o.catalog.update((draft) => {
      draft.snapshots = draft.snapshots.filter((s) => !dropSnapshots.has(s.id));
      draft.segments = draft.segments.filter((s) => !dropSegments.has(s.id));
    });
    // With its key envelopes, if the archive is encrypted.
    for (const f of plan.files) await deleteFileAndEnvelopes(this.o.store, f.path);
    this.log.info({ snapshots: plan.snapshots.length, segments: plan.segments.length, files: plan.files.length }, 'retention removed what no point in the window needs');
  }
}

/**
 * The archiver's commit order: a checkpoint (resume token + durable position)
 * is committed in the same catalog update as the segment holding the events it
 * covers, and the log's own position (Kafka offsets) only after that, never
 * past the start of an initial copy still being built.
 */
import { comparePositions, parsePosition } from '../../contracts/index.js';
import type { Catalog, Position, SegmentEntry } from '../../contracts/index.js';
import type { LogConsumer, LogCursor } from '../eventlog/event-log.js';
import type { Checkpoint } from '../eventlog/log-record.js';
import type { CatalogWrites } from './catalog-writes.js';
import { minCursor } from './cursor-order.js';

/** What a rolled segment covers: the checkpoint that arrived with its events, and the log position after them. */
export interface Covered {
  checkpoint: Checkpoint | null;
  cursor: LogCursor | null;
}

/**
 * The log position the log may not forget past: `undefined` when nothing holds it, a cursor (or null,
 * when the hold started before anything was handled) while an initial copy is being built.
 */
export type LogFloor = () => LogCursor | null | undefined;

export class CommitOrder {
  durable: Position | null = null;
  /** The catalog holds a resume token (a checkpoint at or before `durable` is then old news). */
  private hasToken = false;
  private pending: Checkpoint | null = null;
  /** The log position after the last delivery handled. */
  handledCursor: LogCursor | null = null;
  committedCursor: LogCursor | null = null;
  lastProgressCommitMs = 0;
  lastCommitAt: string | null = null;

  constructor(
    private readonly consumer: LogConsumer,
    private readonly writes: CatalogWrites,
    private readonly floor: LogFloor,
  ) {}

  startFrom(catalog: Catalog): void {
    this.durable = catalog.durable ? parsePosition(catalog.durable) : null;
    this.hasToken = catalog.resumeToken !== undefined;
  }

  /** A checkpoint from the log: kept until the segment holding its events is committed (the newest wins). */
  offer(cp: Checkpoint): void {
    const at = parsePosition(cp.durable);
    if (this.durable && this.hasToken && comparePositions(at, this.durable) <= 0) return;
    if (!this.pending || comparePositions(at, parsePosition(this.pending.durable)) > 0) this.pending = cp;
  }

  get pendingDurable(): Position | null {
    return this.pending ? parsePosition(this.pending.durable) : null;
  }

  /** Everything handled so far is in the segment being rolled (or an earlier one): it covers exactly this. */
  take(): Covered {
    const covered = { checkpoint: this.pending, cursor: this.handledCursor };
    this.pending = null;
    return covered;
  }

  /** Commits the pending checkpoint without a segment (`force`), or just the log position when none is pending. */
  async commitProgress(force: boolean): Promise<void> {
    if (!force && !this.pending) {
      this.lastProgressCommitMs = Date.now();
      return this.commitLog(this.handledCursor);
    }
    await this.commit(null, this.take());
  }

  /** Commits a durable segment and the checkpoint it covers in one catalog update, then the log position. */
  async commit(entry: SegmentEntry | null, covered: Covered): Promise<void> {
    const cp = covered.checkpoint;
    if (entry || cp) {
      await this.writes.updateOrDiscard(entry ? [entry.file.path] : [], (draft) => {
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
        this.durable = parsePosition(cp.durable);
        this.hasToken = true;
      }
      this.lastCommitAt = new Date().toISOString();
    }
    this.lastProgressCommitMs = Date.now();
    await this.commitLog(covered.cursor);
  }

  /** Tells the log what is durable: `cursor` (what was handled), but never past the floor an initial copy holds. */
  private async commitLog(cursor: LogCursor | null): Promise<void> {
    if (!cursor) return;
    const floor = this.floor();
    const target = floor === undefined ? cursor : floor;
    if (!target || (this.committedCursor && minCursor(target, this.committedCursor) === target)) return;
    await this.consumer.commit(target);
    this.committedCursor = target;
  }
}

/**
 * The archiver's "how far have I written": the last archived event (position
 * and id) and the counters status() shows. Re-delivered events (a restarted
 * Kafka consumer, a collector that resumed from an older point) are dropped by
 * position: the log is in one total order, so an event at or before the last
 * archived position is a duplicate.
 */
import type { Logger } from 'pino';
import { comparePositions, formatPosition, parsePosition } from '../../contracts/index.js';
import type { Catalog, Position } from '../../contracts/index.js';

export class ArchivedPosition {
  last: Position | null = null;
  private lastId: string | null = null;
  eventsArchived = 0;
  duplicatesDropped = 0;
  /** Events archived since the newest base snapshot (compaction by volume reads it). */
  eventsSinceSnapshot = 0;

  constructor(private readonly log: Logger) {}

  /** Where a restarted archiver stands: the catalog's durable point, and what its segments hold past the newest snapshot. */
  startFrom(durable: Position | null, catalog: Catalog): void {
    this.last = durable;
    this.lastId = null;
    this.eventsSinceSnapshot = countEventsSinceSnapshot(catalog);
  }

  /** True (and counted) when the event at `at` is a re-delivery to drop. */
  isDuplicate(at: Position, id: string): boolean {
    const last = this.last;
    if (!last) return false;
    const order = comparePositions(at, last);
    if (order > 0) return false;
    // In one total order a re-delivery repeats positions; the same position with another id is not a duplicate.
    if (order === 0 && this.lastId !== null && id !== this.lastId) {
      this.log.error({ position: formatPosition(at), archived: this.lastId, got: id }, 'two different events at one position; keeping the first');
    }
    this.duplicatesDropped += 1;
    return true;
  }

  archived(at: Position, id: string): void {
    this.last = at;
    this.lastId = id;
    this.eventsArchived += 1;
    this.eventsSinceSnapshot += 1;
  }

  snapshotTaken(): void {
    this.eventsSinceSnapshot = 0;
  }
}

export function countEventsSinceSnapshot(catalog: Catalog): number {
  const newest = catalog.snapshots.map((s) => parsePosition(s.position)).sort(comparePositions).at(-1);
  return catalog.segments.filter((s) => !newest || comparePositions(parsePosition(s.first), newest) > 0).reduce((n, s) => n + s.count, 0);
}

/**
 * Drops re-delivered events. Positions are unique and the log is in position
 * order, so an event at or before the last applied position has been applied
 * already (at-least-once delivery re-sends a suffix, overlapping segments
 * repeat a range). A bounded window of recent ids catches the one thing that
 * is not a duplicate: a different event claiming a position already taken.
 * Events at or before the base snapshot's position are in the base already.
 */
import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import type { Position } from '../../contracts/position.js';
import { formatPosition, positionSortKey } from '../../contracts/position.js';
import { ReplayError } from './errors.js';
import { compareEventPositions, eventPosition } from './event-position.js';

export type DedupVerdict = 'apply' | 'duplicate' | 'in-base';

export class DuplicateFilter {
  private last: Position | undefined;
  private readonly recent = new Map<string, string>();

  constructor(
    private readonly base: Position | undefined,
    private readonly window = 8192,
  ) {}

  check(ev: ChangeEvent): DedupVerdict {
    if (this.base !== undefined && compareEventPositions(ev, this.base) <= 0) return 'in-base';
    const key = positionSortKey(eventPosition(ev));
    if (this.last !== undefined && compareEventPositions(ev, this.last) <= 0) {
      const seen = this.recent.get(key);
      if (seen !== undefined && seen !== ev.id) {
        throw new ReplayError(
          'REPLAY_ORDER_CONFLICT',
          `events ${seen} and ${ev.id} both claim position ${formatPosition(eventPosition(ev))}`,
          { details: { eventId: ev.id, other: seen, position: formatPosition(eventPosition(ev)) } },
        );
      }
      return 'duplicate';
    }
    this.last = eventPosition(ev);
    this.recent.set(key, ev.id);
    if (this.recent.size > this.window) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    return 'apply';
  }

  get lastApplied(): Position | undefined {
    return this.last;
  }
}

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
import { formatPosition } from '../../contracts/position.js';
import { ReplayError } from './errors.js';
import { compareEventPositions, eventPosition } from './event-position.js';

export type DedupVerdict = 'apply' | 'duplicate' | 'in-base';

export class DuplicateFilter {
  private last: Position | undefined;
  /** The last `window` applied events, as a ring: searched only when an event goes backwards. */
  private readonly ring: { seconds: number; increment: number; index: number; id: string }[] = [];
  private ringAt = 0;

  constructor(
    private readonly base: Position | undefined,
    private readonly window = 8192,
  ) {}

  check(ev: ChangeEvent): DedupVerdict {
    if (this.base !== undefined && compareEventPositions(ev, this.base) <= 0) return 'in-base';
    if (this.last !== undefined && compareEventPositions(ev, this.last) <= 0) {
      const seen = this.ring.find((r) => compareEventPositions(r, ev) === 0);
      if (seen !== undefined && seen.id !== ev.id) {
        const at = formatPosition(eventPosition(ev));
        throw new ReplayError('REPLAY_ORDER_CONFLICT', `events ${seen.id} and ${ev.id} both claim position ${at}`, {
          details: { eventId: ev.id, other: seen.id, position: at },
        });
      }
      return 'duplicate';
    }
    // A plain record, not a validated frozen Position: this runs once per event.
    this.last = { seconds: ev.seconds, increment: ev.increment, index: ev.index };
    const entry = { seconds: ev.seconds, increment: ev.increment, index: ev.index, id: ev.id };
    if (this.ring.length < this.window) {
      this.ring.push(entry);
    } else {
      this.ring[this.ringAt] = entry;
      this.ringAt = (this.ringAt + 1) % this.window;
    }
    return 'apply';
  }

  get lastApplied(): Position | undefined {
    return this.last;
  }
}

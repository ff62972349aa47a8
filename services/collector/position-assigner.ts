/**
 * Positions for events: clusterTime plus an index counting the events that
 * share one clusterTime (a transaction's operations all carry the commit's
 * time). The index continues from the last persisted position, so a resume in
 * the middle of a transaction numbers the rest exactly as before.
 */
import { comparePositions, formatPosition, position } from '../../contracts/index.js';
import type { Position } from '../../contracts/index.js';

export class PositionAssigner {
  private last: Position;

  constructor(last: Position) {
    this.last = last;
  }

  get current(): Position {
    return this.last;
  }

  next(seconds: number, increment: number): Position {
    const same = this.last.seconds === seconds && this.last.increment === increment;
    const next = position(seconds, increment, same ? this.last.index + 1 : 0);
    if (comparePositions(next, this.last) <= 0) {
      throw new RangeError(`event clusterTime ${seconds}.${increment} goes back before ${formatPosition(this.last)}`);
    }
    this.last = next;
    return next;
  }

  /** Moves forward without an event (a heartbeat); never backwards. */
  advanceTo(p: Position): void {
    if (comparePositions(p, this.last) > 0) this.last = p;
  }
}

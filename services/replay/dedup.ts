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

/** Ids longer than this stay strings (resume token data is a few hundred hex digits at most). */
const MAX_ID_SLOT = 1024;

export class DuplicateFilter {
  /** The last applied position (seconds < 0: none), as numbers: this runs once per event and allocates nothing. */
  private lastSeconds = -1;
  private lastIncrement = 0;
  private lastIndex = 0;
  /** The last `window` applied events, as a ring: searched only when an event goes backwards. */
  private readonly ringSeconds: Float64Array;
  private readonly ringIncrement: Float64Array;
  private readonly ringIndex: Float64Array;
  /**
   * The ring's ids as bytes (ids are hexadecimal), not strings: a ring of
   * strings keeps thousands of young strings alive through every scavenge,
   * and copying them there and then into the old generation costs more than
   * the whole check. Each id has a slot of `idSlot` bytes, doubled as longer
   * ids come.
   */
  private ringIdBytes: Uint8Array;
  private idSlot = 32;
  /** Each id's length; -1: not one byte per character or too long, kept in `longIds`. */
  private readonly ringIdLength: Int32Array;
  private readonly longIds = new Map<number, string>();
  private ringLength = 0;
  private ringAt = 0;

  constructor(
    private readonly base: Position | undefined,
    private readonly window = 8192,
  ) {
    this.ringSeconds = new Float64Array(window);
    this.ringIncrement = new Float64Array(window);
    this.ringIndex = new Float64Array(window);
    this.ringIdBytes = new Uint8Array(window * this.idSlot);
    this.ringIdLength = new Int32Array(window);
  }

  check(ev: ChangeEvent): DedupVerdict {
    if (this.base !== undefined && compareEventPositions(ev, this.base) <= 0) return 'in-base';
    if (this.lastSeconds >= 0 && (ev.seconds - this.lastSeconds || ev.increment - this.lastIncrement || ev.index - this.lastIndex) <= 0) {
      const seen = this.seenId(ev);
      if (seen !== undefined && seen !== ev.id) {
        const at = formatPosition(eventPosition(ev));
        throw new ReplayError('REPLAY_ORDER_CONFLICT', `events ${seen} and ${ev.id} both claim position ${at}`, {
          context: { eventId: ev.id, other: seen, position: at },
        });
      }
      return 'duplicate';
    }
    this.lastSeconds = ev.seconds;
    this.lastIncrement = ev.increment;
    this.lastIndex = ev.index;
    const at = this.ringAt;
    this.ringSeconds[at] = ev.seconds;
    this.ringIncrement[at] = ev.increment;
    this.ringIndex[at] = ev.index;
    this.rememberId(at, ev.id);
    this.ringAt = at + 1 === this.window ? 0 : at + 1;
    if (this.ringLength < this.window) this.ringLength++;
    return 'apply';
  }

  private rememberId(at: number, id: string): void {
    const n = id.length;
    if (n > this.idSlot && n <= MAX_ID_SLOT) this.widenSlots(n);
    if (this.ringIdLength[at] === -1) this.longIds.delete(at);
    const bytes = this.ringIdBytes;
    const base = at * this.idSlot;
    let i = 0;
    if (n <= this.idSlot) {
      for (; i < n; i++) {
        const c = id.charCodeAt(i);
        if (c > 0xff) break;
        bytes[base + i] = c;
      }
    }
    if (i === n) {
      this.ringIdLength[at] = n;
    } else {
      this.ringIdLength[at] = -1;
      this.longIds.set(at, id);
    }
  }

  private widenSlots(n: number): void {
    let slot = this.idSlot;
    while (slot < n) slot *= 2;
    const wider = new Uint8Array(this.window * slot);
    for (let i = 0; i < this.window; i++) wider.set(this.ringIdBytes.subarray(i * this.idSlot, (i + 1) * this.idSlot), i * slot);
    this.ringIdBytes = wider;
    this.idSlot = slot;
  }

  /** The id of the remembered event at `ev`'s position, if any. */
  private seenId(ev: ChangeEvent): string | undefined {
    for (let i = 0; i < this.ringLength; i++) {
      if (this.ringSeconds[i] !== ev.seconds || this.ringIncrement[i] !== ev.increment || this.ringIndex[i] !== ev.index) continue;
      const n = this.ringIdLength[i] as number;
      if (n < 0) return this.longIds.get(i);
      return Buffer.from(this.ringIdBytes.buffer, i * this.idSlot, n).toString('latin1');
    }
    return undefined;
  }

  get lastApplied(): Position | undefined {
    return this.lastSeconds < 0 ? undefined : { seconds: this.lastSeconds, increment: this.lastIncrement, index: this.lastIndex };
  }
}

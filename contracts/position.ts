/**
 * Position: the total order of events. MongoDB's clusterTime (a BSON Timestamp:
 * seconds + increment) plus an index for the events that share one clusterTime
 * (the operations of one transaction are all stamped with the commit's time).
 *
 * Shown to people as ISO time and as `seconds.increment[.index]`.
 */
import { RewindError } from './errors.js';
import { Timestamp } from './bson.js';

export interface Position {
  readonly seconds: number;
  readonly increment: number;
  readonly index: number;
}

const UINT32_MAX = 0xffff_ffff;
/** Largest index we accept: one transaction has far fewer operations than this. */
export const INDEX_MAX = 0x7fff_ffff;

export class PositionFormatError extends RewindError<'BAD_POSITION'> {
  readonly input: string;
  constructor(input: string, reason: string) {
    super('BAD_POSITION', `invalid position ${JSON.stringify(input)}: ${reason}`, { context: { input } });
    this.name = 'PositionFormatError';
    this.input = input;
  }
}

function checkUint32(value: number, what: string, input: string): number {
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw new PositionFormatError(input, `${what} must be an integer from 0 to ${UINT32_MAX}`);
  }
  return value;
}

const isUint32 = (v: number) => Number.isInteger(v) && v >= 0 && v <= UINT32_MAX;

export function position(seconds: number, increment: number, index = 0): Position {
  // The common case first: this runs per captured event, and the text is only needed for the error.
  if (!isUint32(seconds) || !isUint32(increment) || !Number.isInteger(index) || index < 0 || index > INDEX_MAX) {
    const input = `${seconds}.${increment}.${index}`;
    checkUint32(seconds, 'seconds', input);
    checkUint32(increment, 'increment', input);
    throw new PositionFormatError(input, `index must be an integer from 0 to ${INDEX_MAX}`);
  }
  return Object.freeze({ seconds, increment, index });
}

export const POSITION_ZERO: Position = position(0, 0, 0);
export const POSITION_MAX: Position = position(UINT32_MAX, UINT32_MAX, INDEX_MAX);

export function comparePositions(a: Position, b: Position): number {
  return a.seconds - b.seconds || a.increment - b.increment || a.index - b.index;
}

export function positionsEqual(a: Position, b: Position): boolean {
  return comparePositions(a, b) === 0;
}

export function maxPosition(a: Position, b: Position): Position {
  return comparePositions(a, b) >= 0 ? a : b;
}

export function minPosition(a: Position, b: Position): Position {
  return comparePositions(a, b) <= 0 ? a : b;
}

/** Same clusterTime (a transaction's operations share one). */
export function sameClusterTime(a: Position, b: Position): boolean {
  return a.seconds === b.seconds && a.increment === b.increment;
}

/** `seconds.increment.index` — always all three parts, so it round-trips. */
export function formatPosition(p: Position): string {
  return `${p.seconds}.${p.increment}.${p.index}`;
}

/** Fixed-width hex, so that string order is position order (file names, Kafka keys). */
export function positionSortKey(p: Position): string {
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${hex(p.seconds, 8)}${hex(p.increment, 8)}${hex(p.index, 8)}`;
}

export function positionToIso(p: Position): string {
  return new Date(p.seconds * 1000).toISOString();
}

/** Both forms for people: `2024-05-01T12:00:00.000Z (1714564800.3.0)`. */
export function describePosition(p: Position): string {
  return `${positionToIso(p)} (${formatPosition(p)})`;
}

const DOTTED = /^(\d+)\.(\d+)(?:\.(\d+))?$/;

/** Parses `seconds.increment[.index]`. */
export function parsePosition(input: string): Position {
  const m = DOTTED.exec(input.trim());
  if (!m) throw new PositionFormatError(input, 'expected seconds.increment[.index], e.g. 1714564800.3 or 1714564800.3.1');
  const [, s, i, n] = m;
  const index = n === undefined ? 0 : Number(n);
  // Checked here too, so that the error names the input as typed.
  if (index > INDEX_MAX) throw new PositionFormatError(input, `index must be an integer from 0 to ${INDEX_MAX}`);
  return position(checkUint32(Number(s), 'seconds', input), checkUint32(Number(i), 'increment', input), index);
}

// An ISO 8601 date-time with an explicit zone; a bare local time would depend on the machine's zone.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * An ISO time as a restore target: the last position whose clusterTime is at or
 * before that instant. clusterTime counts whole seconds, so every event stamped
 * within the target's second (at or before it) is included.
 */
export function positionAtIsoTime(input: string): Position {
  const text = input.trim();
  if (!ISO.test(text)) {
    throw new PositionFormatError(input, 'expected an ISO 8601 time with a zone, e.g. 2024-05-01T12:00:00Z');
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new PositionFormatError(input, 'not a valid date');
  // Date.parse rolls an impossible day over (2024-02-30 becomes March 1st): refuse it instead.
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) throw new PositionFormatError(input, 'not a valid date');
  if (ms < 0) throw new PositionFormatError(input, 'before 1970-01-01');
  const seconds = Math.floor(ms / 1000);
  if (seconds > UINT32_MAX) throw new PositionFormatError(input, 'after 2106-02-07, past the clusterTime range');
  return position(seconds, UINT32_MAX, INDEX_MAX);
}

/** A target as people type it: a dotted position or an ISO time. */
export function parsePositionOrTime(input: string): Position {
  return DOTTED.test(input.trim()) ? parsePosition(input) : positionAtIsoTime(input);
}

export function positionFromTimestamp(ts: Timestamp, index = 0): Position {
  return position(ts.high >>> 0, ts.low >>> 0, index);
}

export function positionToTimestamp(p: Position): Timestamp {
  return new Timestamp({ t: p.seconds, i: p.increment });
}

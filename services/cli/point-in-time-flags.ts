/**
 * The point-in-time flags of restore, diff and history, as people type
 * them, checked before anything is opened: `--at <ISO time | s.i[.n]>`,
 * `--at-position <s.i[.n]>`, `--before-event <id>` (at most one; none means
 * the latest restorable state). Old spellings: `--to` (an ISO time) and
 * `--to-position`.
 */
import { PositionFormatError, parsePosition, positionAtIsoTime } from '../../contracts/index.js';
import type { PointInTime } from '../../contracts/point-in-time.js';
import { RestoreError } from '../restore/errors.js';
import type { OldSpelling } from './flag-vocabulary.js';

export interface PointInTimeFlags {
  at?: string;
  atPosition?: string;
  beforeEvent?: string;
  /** restore only: a named snapshot (`rewind backup --name`). */
  atSnapshot?: string;
}

export const POINT_IN_TIME_OLD: readonly OldSpelling[] = [
  { old: '--to <iso-time>', now: '--at <time>' },
  { old: '--to-position <s.i[.n]>', now: '--at-position <s.i[.n]>' },
];

const DOTTED = /^\s*\d+\.\d+(?:\.\d+)?\s*$/;

function parsed<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PositionFormatError) throw new RestoreError('BAD_POSITION', err.message, { cause: err });
    throw err;
  }
}

export function pointInTimeFromFlags(flags: PointInTimeFlags): PointInTime {
  const given = (['at', 'atPosition', 'beforeEvent', 'atSnapshot'] as const).filter((k) => flags[k] !== undefined);
  if (given.length > 1) throw new RestoreError('BAD_OPTIONS', `give one point in time, not ${given.map((g) => `--${g.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(' and ')}`);
  const { at, atPosition, beforeEvent, atSnapshot } = flags;
  if (at !== undefined) {
    if (DOTTED.test(at)) return { kind: 'position', position: parsed(() => parsePosition(at)) };
    parsed(() => positionAtIsoTime(at));
    return { kind: 'time', iso: at.trim() };
  }
  if (atPosition !== undefined) return { kind: 'position', position: parsed(() => parsePosition(atPosition)) };
  if (atSnapshot !== undefined) {
    if (atSnapshot.trim() === '') throw new RestoreError('BAD_POSITION', '--at-snapshot needs a snapshot name (rewind catalog lists them)');
    return { kind: 'snapshot', name: atSnapshot.trim() };
  }
  if (beforeEvent !== undefined) {
    if (beforeEvent.trim() === '') throw new RestoreError('BAD_POSITION', '--before-event needs an event id');
    return { kind: 'before-event', eventId: beforeEvent.trim() };
  }
  return { kind: 'latest' };
}

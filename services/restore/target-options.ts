/**
 * The target flags as people type them, checked before anything is opened:
 * `--to <ISO time>`, `--to-position <s.i[.n]>`, `--before-event <id>` (at most
 * one), or `--at <ISO time | s.i[.n]>` for diff; none means the latest
 * restorable state.
 */
import { parsePosition, positionAtIsoTime } from '../../contracts/index.js';
import { RestoreError } from './errors.js';
import type { RestoreTarget } from './target-plan.js';
import { toRestoreError } from './translate-errors.js';

export interface TargetFlags {
  to?: string;
  toPosition?: string;
  beforeEvent?: string;
  at?: string;
  /** A snapshot's name (`rewind backup --name`) or id: the state at that snapshot's position. */
  atSnapshot?: string;
}

const DOTTED = /^\s*\d+\.\d+(?:\.\d+)?\s*$/;

export function targetFromFlags(flags: TargetFlags): RestoreTarget {
  const given = (['to', 'toPosition', 'beforeEvent', 'at', 'atSnapshot'] as const).filter((k) => flags[k] !== undefined);
  if (given.length > 1) throw new RestoreError('BAD_OPTIONS', `give one target, not ${given.map((g) => `--${g.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(' and ')}`);
  try {
    if (flags.to !== undefined) {
      positionAtIsoTime(flags.to);
      return { kind: 'time', iso: flags.to };
    }
    if (flags.toPosition !== undefined) {
      parsePosition(flags.toPosition);
      return { kind: 'position', position: flags.toPosition };
    }
    if (flags.at !== undefined) {
      if (DOTTED.test(flags.at)) {
        parsePosition(flags.at);
        return { kind: 'position', position: flags.at.trim() };
      }
      positionAtIsoTime(flags.at);
      return { kind: 'time', iso: flags.at };
    }
  } catch (err) {
    throw toRestoreError(err);
  }
  if (flags.atSnapshot !== undefined) {
    if (flags.atSnapshot.trim() === '') throw new RestoreError('BAD_POSITION', '--at-snapshot needs a snapshot name (rewind catalog lists them)');
    return { kind: 'snapshot', name: flags.atSnapshot.trim() };
  }
  if (flags.beforeEvent !== undefined) {
    if (flags.beforeEvent.trim() === '') throw new RestoreError('BAD_POSITION', '--before-event needs an event id');
    return { kind: 'before-event', eventId: flags.beforeEvent.trim() };
  }
  return { kind: 'latest' };
}

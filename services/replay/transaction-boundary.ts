/**
 * No restore target may split a transaction. A transaction's operations all
 * carry the commit's clusterTime and differ only by index, so the atomic unit
 * is "every event of one clusterTime" (this also keeps batched writes that the
 * server stamps with one clusterTime together).
 *
 * Decision: a target *position* inside a clusterTime means AFTER the whole
 * group — the state as of that clusterTime, at which the transaction had
 * committed — and "just before event X" means BEFORE the whole group holding X
 * (undoing one statement of a transaction undoes the transaction).
 */
import type { Position } from '../../contracts/position.js';
import { INDEX_MAX, formatPosition, position, sameClusterTime } from '../../contracts/position.js';
import { ReplayError } from './errors.js';

const UINT32_MAX = 0xffff_ffff;

/** The last position of the clusterTime group holding `p`: replaying through it keeps the group whole. */
export function throughTransaction(p: Position): Position {
  return position(p.seconds, p.increment, INDEX_MAX);
}

/** The last position strictly before the clusterTime group holding `p`. */
export function beforeTransaction(p: Position): Position {
  if (p.increment > 0) return position(p.seconds, p.increment - 1, INDEX_MAX);
  if (p.seconds > 0) return position(p.seconds - 1, UINT32_MAX, INDEX_MAX);
  throw new ReplayError('PLAN_BEFORE_WINDOW', `nothing precedes position ${formatPosition(p)}`, {
    context: { position: formatPosition(p) },
  });
}

export type TargetBoundary = 'through' | 'before';

/** Moves a target to a transaction boundary. */
export function alignToTransaction(p: Position, boundary: TargetBoundary): Position {
  return boundary === 'through' ? throughTransaction(p) : beforeTransaction(p);
}

/** True when `a` and `b` are in one atomic group. */
export function sameTransaction(a: Position, b: Position): boolean {
  return sameClusterTime(a, b);
}


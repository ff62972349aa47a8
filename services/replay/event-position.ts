import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import { position } from '../../contracts/position.js';
import type { Position } from '../../contracts/position.js';

/** The event's position (clusterTime seconds, increment, index within the clusterTime). */
export function eventPosition(ev: Pick<ChangeEvent, 'seconds' | 'increment' | 'index'>): Position {
  return position(ev.seconds, ev.increment, ev.index);
}

/** Same order as comparePositions, without allocating Positions (hot in merges). */
export function compareEventPositions(
  a: Pick<ChangeEvent, 'seconds' | 'increment' | 'index'>,
  b: Pick<ChangeEvent, 'seconds' | 'increment' | 'index'>,
): number {
  return a.seconds - b.seconds || a.increment - b.increment || a.index - b.index;
}

let lastNs: { db: string; coll: string | null; name: string } = { db: '', coll: null, name: '' };

/** `db.coll`, or `db` for database-level events. */
export function namespaceName(ns: { db: string; coll: string | null }): string {
  // Consecutive events mostly share a namespace: reuse its name rather than build (and hash) a new string.
  if (ns.db === lastNs.db && ns.coll === lastNs.coll) return lastNs.name;
  const name = ns.coll === null ? ns.db : `${ns.db}.${ns.coll}`;
  lastNs = { db: ns.db, coll: ns.coll, name };
  return name;
}

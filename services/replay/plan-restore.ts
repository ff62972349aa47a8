/**
 * The PITR planner: for a target, the newest snapshot at or before it and the
 * segments after that snapshot up to the target, read from the catalog alone
 * (no file is opened). Refuses — with the window or the gap in the message —
 * targets before the restorable window, past the latest durable position, or
 * inside recorded lost history.
 *
 * Targets are moved to a transaction boundary (transaction-boundary.ts): a
 * time or a position means through its whole clusterTime group, "before
 * event X" means before X's whole group.
 */
import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import type { Catalog, Gap, RestorableWindow, SegmentEntry, SnapshotEntry } from '../../contracts/catalog.js';
import type { Position } from '../../contracts/position.js';
import { comparePositions, describePosition, formatPosition, maxPosition, parsePosition, positionAtIsoTime } from '../../contracts/position.js';
import { ReplayError } from './errors.js';
import { eventPosition } from './event-position.js';
import { beforeTransaction, throughTransaction } from './transaction-boundary.js';

export type RestoreTarget =
  | { kind: 'time'; iso: string }
  | { kind: 'position'; position: Position }
  /** Just before the event with this id; `position` when known (else resolve it with findEventPosition). */
  | { kind: 'beforeEvent'; id: string; position?: Position };

export interface RestorePlan {
  /** The position restored to: every event at or before it, none after. */
  target: Position;
  snapshot: SnapshotEntry;
  /** Segments to replay over the snapshot, in position order. */
  segments: SegmentEntry[];
  window: RestorableWindow;
}

const pos = (s: string) => parsePosition(s);

/** The restorable window: oldest snapshot to latest durable position (or the newest archived position). */
export function restorableWindow(catalog: Catalog): RestorableWindow | undefined {
  if (catalog.snapshots.length === 0) return undefined;
  const earliest = catalog.snapshots.map((s) => pos(s.position)).reduce((a, b) => (comparePositions(a, b) <= 0 ? a : b));
  let latest = earliest;
  for (const s of catalog.snapshots) latest = maxPosition(latest, pos(s.position));
  for (const s of catalog.segments) latest = maxPosition(latest, pos(s.last));
  if (catalog.durable !== undefined) latest = maxPosition(latest, pos(catalog.durable));
  return { earliest, latest };
}

export function describeWindow(w: RestorableWindow): string {
  return `[${describePosition(w.earliest)} .. ${describePosition(w.latest)}]`;
}

export function describeGap(g: Gap): string {
  const to = g.to === undefined ? 'a new base snapshot (none yet)' : describePosition(pos(g.to));
  return `gap after ${describePosition(pos(g.from))} until ${to} (${g.reason})`;
}

/** A gap covers the positions strictly after `from` and strictly before `to`. */
function inGap(g: Gap, p: Position): boolean {
  return comparePositions(p, pos(g.from)) > 0 && (g.to === undefined || comparePositions(p, pos(g.to)) < 0);
}

/** The segments that may hold an event the caller must find (for beforeEvent without a position), oldest first. */
export function segmentsToSearch(catalog: Catalog): SegmentEntry[] {
  return [...catalog.segments].sort((a, b) => comparePositions(pos(a.first), pos(b.first)));
}

/** Scans events (e.g. from the segments of segmentsToSearch) for an event id; pure, reads only the stream given. */
export async function findEventPosition(events: AsyncIterable<ChangeEvent> | Iterable<ChangeEvent>, id: string): Promise<Position | undefined> {
  for await (const ev of events) if (ev.id === id) return eventPosition(ev);
  return undefined;
}

function resolveTarget(catalog: Catalog, target: RestoreTarget): Position {
  switch (target.kind) {
    case 'time':
      // The last position within the target's second: already at a group boundary.
      return positionAtIsoTime(target.iso);
    case 'position':
      return throughTransaction(target.position);
    case 'beforeEvent':
      if (target.position === undefined) {
        throw new ReplayError(
          'PLAN_EVENT_UNRESOLVED',
          `the position of event ${target.id} is not known: scan the segments (segmentsToSearch) with findEventPosition and plan again with it`,
          { context: { eventId: target.id, segments: segmentsToSearch(catalog).map((s) => s.id) } },
        );
      }
      return beforeTransaction(target.position);
  }
}

/**
 * Every segment overlapping (snapshot, target] is listed, whatever namespaces
 * are restored: a rename into a restored namespace is counted under its source
 * namespace in a segment's summary, so filtering by summary could lose it.
 */
export function planRestore(catalog: Catalog, target: RestoreTarget): RestorePlan {
  const window = restorableWindow(catalog);
  if (window === undefined) {
    throw new ReplayError('PLAN_NO_COVERAGE', 'the archive holds no snapshot yet: nothing can be restored', { context: {} });
  }
  const at = resolveTarget(catalog, target);
  const shown = describePosition(at);
  if (comparePositions(at, window.earliest) < 0) {
    throw new ReplayError('PLAN_BEFORE_WINDOW', `target ${shown} is before the restorable window ${describeWindow(window)}`, {
      context: { target: formatPosition(at), earliest: formatPosition(window.earliest), latest: formatPosition(window.latest) },
    });
  }
  if (comparePositions(at, window.latest) > 0) {
    // A time target past the durable position but within its second is still refused: events of that second may not be archived yet.
    throw new ReplayError('PLAN_PAST_DURABLE', `target ${shown} is past the latest durable position; the restorable window is ${describeWindow(window)}`, {
      context: { target: formatPosition(at), earliest: formatPosition(window.earliest), latest: formatPosition(window.latest) },
    });
  }
  for (const g of catalog.gaps) {
    if (inGap(g, at)) {
      throw new ReplayError('PLAN_IN_GAP', `target ${shown} falls inside a ${describeGap(g)}: the history there is lost`, {
        context: { target: formatPosition(at), gapFrom: g.from, gapTo: g.to ?? null, reason: g.reason },
      });
    }
  }
  const snapshot = catalog.snapshots
    .filter((s) => comparePositions(pos(s.position), at) <= 0)
    .reduce<SnapshotEntry | undefined>((best, s) => (best === undefined || comparePositions(pos(s.position), pos(best.position)) > 0 ? s : best), undefined);
  if (snapshot === undefined) {
    throw new ReplayError('PLAN_BEFORE_WINDOW', `target ${shown} is before the restorable window ${describeWindow(window)}`, {
      context: { target: formatPosition(at) },
    });
  }
  const base = pos(snapshot.position);
  // Replaying from the snapshot must not cross lost history.
  for (const g of catalog.gaps) {
    const from = pos(g.from);
    if (comparePositions(from, base) >= 0 && comparePositions(from, at) < 0) {
      throw new ReplayError(
        'PLAN_IN_GAP',
        `target ${shown} needs replay from snapshot ${snapshot.id} at ${describePosition(base)} across a ${describeGap(g)}, and no snapshot was taken after it`,
        { context: { target: formatPosition(at), gapFrom: g.from, gapTo: g.to ?? null, snapshot: snapshot.id } },
      );
    }
  }
  const segments = catalog.segments
    .filter((s) => comparePositions(pos(s.last), base) > 0 && comparePositions(pos(s.first), at) <= 0)
    .sort((a, b) => comparePositions(pos(a.first), pos(b.first)));
  return { target: at, snapshot, segments, window };
}

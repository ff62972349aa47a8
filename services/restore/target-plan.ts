/**
 * From what a person asked for (`--to`, `--to-position`, `--before-event`, or
 * the latest state) to an exact position and the snapshot to start from,
 * refusing targets outside the restorable window or inside a gap with a
 * message naming the window or the gap.
 *
 * Transaction boundaries follow the replay room's decision
 * (transaction-boundary.ts): a position inside a clusterTime means after the
 * whole group; "before event X" means before the whole group holding X.
 */
import { comparePositions, describePosition, parsePosition, positionAtIsoTime } from '../../contracts/index.js';
import type { Catalog, Position, SnapshotEntry } from '../../contracts/index.js';
import { readSegment, restorableWindow } from '../archive/index.js';
import type { BlobStore } from '../archive/index.js';
import { eventPosition } from '../replay/event-position.js';
import { beforeTransaction, throughTransaction } from '../replay/transaction-boundary.js';
import { RestoreError } from './errors.js';

export type RestoreTarget =
  | { kind: 'latest' }
  | { kind: 'time'; iso: string }
  | { kind: 'position'; position: string }
  | { kind: 'before-event'; eventId: string };

export interface TargetPlan {
  position: Position;
  snapshot: SnapshotEntry;
}

async function findEvent(store: BlobStore, catalog: Catalog, eventId: string): Promise<Position> {
  const segments = [...catalog.segments].sort((a, b) => comparePositions(parsePosition(a.first), parsePosition(b.first)));
  for (const segment of segments) {
    for await (const ev of readSegment(store, segment)) if (ev.id === eventId) return eventPosition(ev);
  }
  throw new RestoreError('UNKNOWN_EVENT', `no event with id ${JSON.stringify(eventId)} in the archive (ids are the resume tokens' _data, as \`rewind history\` shows them)`, {
    details: { eventId },
  });
}

/** The exact position a target means, before any window check. */
export async function resolveTarget(store: BlobStore, catalog: Catalog, target: RestoreTarget): Promise<Position> {
  switch (target.kind) {
    case 'latest': {
      const window = restorableWindow(catalog);
      if (!window) throw new RestoreError('OUTSIDE_WINDOW', 'the archive has no snapshot yet: nothing is restorable');
      return window.latest;
    }
    case 'time':
      return positionAtIsoTime(target.iso);
    case 'position':
      return throughTransaction(parsePosition(target.position));
    case 'before-event':
      return beforeTransaction(await findEvent(store, catalog, target.eventId));
  }
}

export async function planTarget(store: BlobStore, catalog: Catalog, target: RestoreTarget): Promise<TargetPlan> {
  const position = await resolveTarget(store, catalog, target);
  const window = restorableWindow(catalog);
  if (!window) throw new RestoreError('OUTSIDE_WINDOW', 'the archive has no snapshot yet: nothing is restorable');
  const windowText = `[${describePosition(window.earliest)}, ${describePosition(window.latest)}]`;
  if (comparePositions(position, window.earliest) < 0) {
    throw new RestoreError('OUTSIDE_WINDOW', `${describePosition(position)} is before the restorable window ${windowText}`, { details: { target: describePosition(position), window: windowText } });
  }
  // An ISO time names a whole second, so it is restorable only once the archive is durable through that second's end.
  // Replay folds whole clusterTime groups (a transaction is never split), so the durable
  // position stands for its whole group.
  if (comparePositions(position, throughTransaction(window.latest)) > 0) {
    throw new RestoreError('OUTSIDE_WINDOW', `${describePosition(position)} is after the restorable window ${windowText} (the archive is durable up to its end)`, {
      details: { target: describePosition(position), window: windowText },
    });
  }
  for (const gap of catalog.gaps) {
    const from = parsePosition(gap.from);
    const to = gap.to === undefined ? null : parsePosition(gap.to);
    if (comparePositions(position, from) > 0 && (to === null || comparePositions(position, to) < 0)) {
      const gapText = `${describePosition(from)} → ${to ? describePosition(to) : 'open'}`;
      throw new RestoreError('IN_GAP', `${describePosition(position)} falls inside a gap of lost history (${gapText}: ${gap.reason})`, {
        details: { target: describePosition(position), gap },
      });
    }
  }
  const snapshot = [...catalog.snapshots]
    .filter((s) => comparePositions(parsePosition(s.position), position) <= 0)
    .sort((a, b) => comparePositions(parsePosition(b.position), parsePosition(a.position)))[0];
  if (!snapshot) throw new RestoreError('OUTSIDE_WINDOW', `no snapshot at or before ${describePosition(position)}; the window is ${windowText}`);
  // A gap between the snapshot and the target cannot be crossed by replay either.
  for (const gap of catalog.gaps) {
    const from = parsePosition(gap.from);
    if (comparePositions(from, parsePosition(snapshot.position)) >= 0 && comparePositions(from, position) < 0) {
      throw new RestoreError('IN_GAP', `between the snapshot at ${snapshot.position} and ${describePosition(position)} lies a gap from ${describePosition(from)} (${gap.reason})`, {
        details: { gap },
      });
    }
  }
  return { position, snapshot };
}

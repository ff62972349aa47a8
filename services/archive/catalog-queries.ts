/** Read-only questions about a catalog: the restorable window, which segments cover a range. */
// The contracts modules themselves, not their index: `rewind status` loads this, and the index brings avsc.
import { comparePositions, maxPosition, parsePosition } from '../../contracts/position.js';
import type { Position } from '../../contracts/position.js';
import type { Catalog, RestorableWindow, SegmentEntry } from '../../contracts/catalog.js';

/**
 * [oldest snapshot, latest durable position]: nothing can be restored before
 * the first base snapshot. null while the archive has no snapshot yet.
 */
export function restorableWindow(catalog: Catalog): RestorableWindow | null {
  if (catalog.snapshots.length === 0) return null;
  const positions = catalog.snapshots.map((s) => parsePosition(s.position)).sort(comparePositions);
  const earliest = positions[0] as Position;
  const newest = positions[positions.length - 1] as Position;
  const latest = catalog.durable ? maxPosition(parsePosition(catalog.durable), newest) : newest;
  return { earliest, latest };
}

/** Segments holding any event in [from, to] (inclusive), in position order. */
export function segmentsOverlapping(catalog: Catalog, from: Position, to: Position): SegmentEntry[] {
  return catalog.segments
    .filter((s) => comparePositions(parsePosition(s.first), to) <= 0 && comparePositions(parsePosition(s.last), from) >= 0)
    .sort((a, b) => comparePositions(parsePosition(a.first), parsePosition(b.first)));
}

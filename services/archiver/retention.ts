/**
 * Retention: what may be deleted while every point of the restorable window
 * stays restorable. A point T needs the newest snapshot at or before T and
 * every segment after that snapshot, so the oldest snapshot kept is the newest
 * one at or before the window's start; older snapshots, and segments that end
 * before the kept snapshot, are no longer needed by any point in the window.
 * Pure: the archiver applies the plan (catalog first, files after).
 */
import { comparePositions, parsePosition } from '../../contracts/index.js';
import type { Catalog, FileRef, SegmentEntry, SnapshotEntry } from '../../contracts/index.js';

export interface RetentionPlan {
  snapshots: SnapshotEntry[];
  segments: SegmentEntry[];
  files: FileRef[];
}

export function planRetention(catalog: Catalog, windowMs: number | null, nowMs: number): RetentionPlan {
  const empty: RetentionPlan = { snapshots: [], segments: [], files: [] };
  if (windowMs === null || catalog.snapshots.length < 2) return empty;
  const cutoffSeconds = Math.floor((nowMs - windowMs) / 1000);
  const byPosition = [...catalog.snapshots].sort((a, b) => comparePositions(parsePosition(a.position), parsePosition(b.position)));
  // The newest snapshot at or before the window's start anchors the window; with none, nothing is old enough.
  let anchorIndex = -1;
  byPosition.forEach((s, i) => {
    if (parsePosition(s.position).seconds <= cutoffSeconds) anchorIndex = i;
  });
  if (anchorIndex <= 0) return empty;
  const anchor = parsePosition((byPosition[anchorIndex] as SnapshotEntry).position);
  const snapshots = byPosition.slice(0, anchorIndex);
  // A segment is needed when it holds any event after the anchor.
  const segments = catalog.segments.filter((s) => comparePositions(parsePosition(s.last), anchor) <= 0);
  const files = [...snapshots.flatMap((s) => s.namespaces.flatMap((n) => n.files)), ...segments.map((s) => s.file)];
  return { snapshots, segments, files };
}

import { describe, expect, it } from 'vitest';
import type { Catalog, SegmentEntry, SnapshotEntry } from '../../contracts/index.js';
import { planRetention } from './retention.js';

const file = (path: string) => ({ path, sha256: 'a'.repeat(64), bytes: 1 });
const snap = (id: string, seconds: number): SnapshotEntry => ({
  id,
  position: `${seconds}.1.0`,
  kind: 'compaction',
  namespaces: [{ ns: 'a.b', files: [file(`snapshots/${id}/a/b-00000.avro`)], count: 1, metadata: { ns: 'a.b', indexes: [], options: {} } }],
  createdAt: new Date(0).toISOString(),
});
const seg = (id: string, first: number, last: number): SegmentEntry => ({
  id,
  file: file(`segments/${id}.avro`),
  first: `${first}.1.0`,
  last: `${last}.1.0`,
  count: 1,
  codec: 'deflate',
  namespaces: { 'a.b': 1 },
  createdAt: new Date(0).toISOString(),
});
const catalog = (snapshots: SnapshotEntry[], segments: SegmentEntry[]): Catalog => ({
  formatVersion: 1,
  sourceId: 's',
  generation: 1,
  updatedAt: new Date(0).toISOString(),
  snapshots,
  segments,
  collections: [],
  gaps: [],
  durable: '1000.1.0',
});

describe('retention', () => {
  const c = catalog([snap('s100', 100), snap('s500', 500), snap('s900', 900)], [seg('g1', 101, 300), seg('g2', 301, 499), seg('g3', 501, 800), seg('g4', 801, 1000)]);

  it('keeps the newest snapshot at or before the window start and every segment after it', () => {
    // Window starts at 600 s: a restore to 600 needs s500 and the segments after 500.
    const plan = planRetention(c, 400_000, 1000_000);
    expect(plan.snapshots.map((s) => s.id)).toEqual(['s100']);
    expect(plan.segments.map((s) => s.id)).toEqual(['g1', 'g2']);
    expect(plan.files.map((f) => f.path)).toEqual(['snapshots/s100/a/b-00000.avro', 'segments/g1.avro', 'segments/g2.avro']);
  });

  it('deletes nothing when no snapshot is older than the window start, or with no window', () => {
    expect(planRetention(c, 950_000, 1000_000).files).toEqual([]);
    expect(planRetention(c, null, 1000_000).files).toEqual([]);
  });

  it('never deletes the newest snapshot, even when the whole window is past it', () => {
    const plan = planRetention(c, 10_000, 2000_000);
    expect(plan.snapshots.map((s) => s.id)).toEqual(['s100', 's500']);
    expect(plan.segments.map((s) => s.id)).toEqual(['g1', 'g2', 'g3']);
  });
});

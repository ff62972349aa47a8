import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import type { Catalog, SegmentEntry, SnapshotEntry } from '../../contracts/catalog.js';
import { catalogSchema } from '../../contracts/catalog.js';
import { INDEX_MAX, formatPosition, position } from '../../contracts/position.js';
import { ReplayError } from './errors.js';
import { findEventPosition, planRestore, restorableWindow } from './plan-restore.js';

const T0 = 1_714_564_800; // 2024-05-01T12:00:00Z
const at = new Date().toISOString();
const file = (path: string) => ({ path, sha256: 'a'.repeat(64), bytes: 1 });

const snapshot = (id: string, p: string): SnapshotEntry => ({ id, position: p, kind: 'compaction', namespaces: [], createdAt: at });
const segment = (id: string, first: string, last: string): SegmentEntry => ({
  id,
  file: file(`segments/${id}.avro`),
  first,
  last,
  count: 10,
  codec: 'deflate',
  namespaces: { 'app.a': 10 },
  createdAt: at,
});

function catalog(extra: Partial<Catalog> = {}): Catalog {
  return catalogSchema.parse({
    formatVersion: 1,
    sourceId: 'src',
    generation: 3,
    updatedAt: at,
    snapshots: [snapshot('s1', `${T0}.1.0`), snapshot('s2', `${T0 + 100}.1.${INDEX_MAX}`)],
    segments: [
      segment('g1', `${T0}.2.0`, `${T0 + 50}.1.0`),
      segment('g2', `${T0 + 50}.2.0`, `${T0 + 100}.1.2`),
      segment('g3', `${T0 + 100}.2.0`, `${T0 + 150}.1.0`),
      segment('g4', `${T0 + 150}.2.0`, `${T0 + 200}.1.0`),
    ],
    collections: [],
    gaps: [],
    durable: `${T0 + 210}.1.0`,
    ...extra,
  });
}

function refusal(fn: () => unknown): ReplayError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ReplayError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('planRestore', () => {
  it('chooses the newest snapshot at or before the target and the segments after it up to the target', () => {
    const plan = planRestore(catalog(), { kind: 'position', position: position(T0 + 120, 5, 0) });
    expect(plan.snapshot.id).toBe('s2');
    expect(plan.segments.map((s) => s.id)).toEqual(['g3']);
    expect(formatPosition(plan.target)).toBe(`${T0 + 120}.5.${INDEX_MAX}`);
    expect(formatPosition(plan.window.earliest)).toBe(`${T0}.1.0`);
    expect(formatPosition(plan.window.latest)).toBe(`${T0 + 210}.1.0`);

    const early = planRestore(catalog(), { kind: 'time', iso: new Date((T0 + 60) * 1000).toISOString() });
    expect(early.snapshot.id).toBe('s1');
    expect(early.segments.map((s) => s.id)).toEqual(['g1', 'g2']);
    expect(early.target.seconds).toBe(T0 + 60);
  });

  it('never splits a transaction: a position inside one restores all of it, beforeEvent none of it', () => {
    const through = planRestore(catalog(), { kind: 'position', position: position(T0 + 100, 1, 1) });
    expect(formatPosition(through.target)).toBe(`${T0 + 100}.1.${INDEX_MAX}`);
    expect(through.snapshot.id).toBe('s2');
    const before = planRestore(catalog(), { kind: 'beforeEvent', id: 'e', position: position(T0 + 100, 1, 1) });
    expect(formatPosition(before.target)).toBe(`${T0 + 100}.0.${INDEX_MAX}`);
    expect(before.snapshot.id).toBe('s1');
    expect(before.segments.map((s) => s.id)).toEqual(['g1', 'g2']);
  });

  it('refuses a target before the window, naming the window', () => {
    const e = refusal(() => planRestore(catalog(), { kind: 'time', iso: '2024-05-01T11:00:00Z' }));
    expect(e.code).toBe('PLAN_BEFORE_WINDOW');
    expect(e.message).toContain('2024-05-01T12:00:00.000Z');
    expect(e.message).toContain(`${T0}.1.0`);
    expect(e.message).toContain(`${T0 + 210}.1.0`);
  });

  it('refuses a target past the latest durable position, naming the window', () => {
    const e = refusal(() => planRestore(catalog(), { kind: 'position', position: position(T0 + 211, 0, 0) }));
    expect(e.code).toBe('PLAN_PAST_DURABLE');
    expect(e.retryable).toBe(true);
    expect(e.message).toContain(`${T0 + 210}.1.0`);
    expect(e.message).toContain('2024-05-01T12:03:30.000Z');
  });

  it('refuses a target inside a gap, naming the gap', () => {
    const gaps = [{ from: `${T0 + 20}.1.${INDEX_MAX}`, to: `${T0 + 100}.1.${INDEX_MAX}`, reason: 'oplog rolled over', recordedAt: at }];
    const e = refusal(() => planRestore(catalog({ gaps }), { kind: 'position', position: position(T0 + 30, 1, 0) }));
    expect(e.code).toBe('PLAN_IN_GAP');
    expect(e.message).toContain(`${T0 + 20}.1.${INDEX_MAX}`);
    expect(e.message).toContain('oplog rolled over');
    // At the gap's edges history is complete: before it from s1, after it from the new base s2.
    expect(planRestore(catalog({ gaps }), { kind: 'position', position: position(T0 + 20, 1, 0) }).snapshot.id).toBe('s1');
    expect(planRestore(catalog({ gaps }), { kind: 'position', position: position(T0 + 101, 1, 0) }).snapshot.id).toBe('s2');
  });

  it('refuses a target whose replay would cross a gap with no snapshot after it, and an open gap', () => {
    const open = [{ from: `${T0 + 160}.1.0`, reason: 'segment g4 corrupt', recordedAt: at }];
    const e = refusal(() => planRestore(catalog({ gaps: open }), { kind: 'position', position: position(T0 + 205, 1, 0) }));
    expect(e.code).toBe('PLAN_IN_GAP');
    expect(e.message).toContain('segment g4 corrupt');
    expect(e.message).toContain('none yet');
    const closedWithoutBase = [{ from: `${T0 + 110}.1.0`, to: `${T0 + 120}.1.0`, reason: 'lost', recordedAt: at }];
    const crossing = refusal(() => planRestore(catalog({ gaps: closedWithoutBase }), { kind: 'position', position: position(T0 + 130, 1, 0) }));
    expect(crossing.code).toBe('PLAN_IN_GAP');
    expect(crossing.message).toContain('across a gap');
  });

  it('refuses without a snapshot, and asks for the position of an unresolved beforeEvent without opening files', async () => {
    expect(refusal(() => planRestore(catalog({ snapshots: [] }), { kind: 'time', iso: '2024-05-01T12:01:00Z' })).code).toBe('PLAN_NO_COVERAGE');
    expect(restorableWindow(catalog({ snapshots: [] }))).toBeUndefined();
    const e = refusal(() => planRestore(catalog(), { kind: 'beforeEvent', id: 'bad-delete' }));
    expect(e.code).toBe('PLAN_EVENT_UNRESOLVED');
    expect(e.context.segments).toEqual(['g1', 'g2', 'g3', 'g4']);
    const events = [
      { id: 'x', seconds: T0 + 10, increment: 1, index: 0 },
      { id: 'bad-delete', seconds: T0 + 70, increment: 3, index: 2 },
    ] as ChangeEvent[];
    const found = await findEventPosition(events, 'bad-delete');
    expect(found && formatPosition(found)).toBe(`${T0 + 70}.3.2`);
    expect(await findEventPosition(events, 'nope')).toBeUndefined();
    const plan = planRestore(catalog(), { kind: 'beforeEvent', id: 'bad-delete', position: found });
    expect(formatPosition(plan.target)).toBe(`${T0 + 70}.2.${INDEX_MAX}`);
  });
});

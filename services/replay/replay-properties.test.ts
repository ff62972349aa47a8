/**
 * Properties of the engine over random histories from the model
 * (testing/history-model.ts), which knows the true state after every
 * clusterTime group.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import { comparePositions } from '../../contracts/position.js';
import type { Position } from '../../contracts/position.js';
import { eventPosition } from './event-position.js';
import { MemoryRunStore } from './run-store.js';
import { EMPTY, compactTo, dumpReplay, dumpSnapshot, replay } from './testing/replay-harness.js';
import { generateHistory } from './testing/history-model.js';
import type { History } from './testing/history-model.js';
import { beforeTransaction } from './transaction-boundary.js';

const history = fc.record({ seed: fc.integer(), steps: fc.integer({ min: 1, max: 70 }) }).map(({ seed, steps }) => generateHistory(seed, steps));
const RUNS = { numRuns: 120 };

/** The model's state as of `target`: the last checkpoint at or before it ('' before everything). */
function truthAt(h: History, target: Position): string {
  let dump = '';
  for (const c of h.checkpoints) if (comparePositions(c.position, target) <= 0) dump = c.dump;
  return dump;
}

const last = (h: History) => h.checkpoints[h.checkpoints.length - 1]?.dump ?? '';

describe('replay over random histories', () => {
  it('replaying everything from empty gives the true final state', async () => {
    await fc.assert(
      fc.asyncProperty(history, async (h) => {
        expect(dumpReplay(await replay(h.events))).toBe(last(h));
      }),
      RUNS,
    );
  });

  it('compaction at any cut (with spilled runs) plus replay of the rest equals replaying everything', async () => {
    await fc.assert(
      fc.asyncProperty(history, fc.nat(), fc.integer({ min: 600, max: 20_000 }), async (h, cutAt, memoryBytes) => {
        fc.pre(h.events.length > 0);
        const cut = eventPosition(h.events[cutAt % h.events.length] as ChangeEvent);
        const store = new MemoryRunStore();
        const snapshot = await compactTo(EMPTY, h.events, cut, store, memoryBytes);
        expect(dumpSnapshot(snapshot)).toBe(truthAt(h, snapshot.position as Position));
        expect(dumpReplay(await replay(h.events, undefined, snapshot))).toBe(last(h));
        expect(store.count).toBe(0);
      }),
      RUNS,
    );
  });

  it('cutting the log into segments at any boundaries and compacting segment by segment changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(history, fc.array(fc.nat(), { maxLength: 6 }), async (h, cuts) => {
        fc.pre(h.events.length > 0);
        const bounds = [...new Set(cuts.map((c) => c % h.events.length))].sort((a, b) => a - b);
        let snapshot = EMPTY;
        let next = 0;
        for (const b of bounds) {
          // A segment ends at event b; the compaction reads the segments from the last one it has not
          // folded yet (with an overlap: events already in the base are skipped) through the end.
          const events = h.events.slice(Math.max(0, next - 2));
          snapshot = await compactTo(snapshot, events, eventPosition(h.events[b] as ChangeEvent), new MemoryRunStore(), 4000);
          next = b + 1;
          expect(dumpSnapshot(snapshot)).toBe(truthAt(h, snapshot.position as Position));
        }
        expect(dumpReplay(await replay(h.events, undefined, snapshot))).toBe(last(h));
      }),
      RUNS,
    );
  });

  it('duplicated and re-delivered events change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(history, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat({ max: 8 })), { maxLength: 5 }), async (h, redeliveries) => {
        fc.pre(h.events.length > 0);
        let stream = [...h.events];
        for (const [at, from, len] of redeliveries) {
          // At-least-once delivery: a range already delivered comes again later.
          const i = at % stream.length;
          const start = from % (i + 1);
          stream = [...stream.slice(0, i + 1), ...stream.slice(start, Math.min(i + 1, start + len)), ...stream.slice(i + 1)];
        }
        expect(dumpReplay(await replay(stream))).toBe(last(h));
        const snapshot = await compactTo(EMPTY, stream, eventPosition(h.events[h.events.length - 1] as ChangeEvent), new MemoryRunStore(), 3000);
        expect(dumpSnapshot(snapshot)).toBe(last(h));
      }),
      RUNS,
    );
  });

  it('never splits a transaction: a target inside one means after it, "before event X" means before its transaction', async () => {
    await fc.assert(
      fc.asyncProperty(history, fc.nat(), async (h, pick) => {
        fc.pre(h.events.length > 0);
        const target = eventPosition(h.events[pick % h.events.length] as ChangeEvent);
        const through = dumpReplay(await replay(h.events, target));
        const group = h.checkpoints.find((c) => c.position.seconds === target.seconds && c.position.increment === target.increment);
        expect(through).toBe(group?.dump);
        const before = beforeTransaction(target);
        expect(dumpReplay(await replay(h.events, before))).toBe(truthAt(h, before));
        const snapshot = await compactTo(EMPTY, h.events, target, new MemoryRunStore(), 2000);
        expect(dumpSnapshot(snapshot)).toBe(group?.dump);
      }),
      RUNS,
    );
  });
});

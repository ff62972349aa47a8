import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SegmentEntry } from '../../contracts/index.js';
import { FsBlobStore, readSegment } from '../archive/index.js';
import { collect, makeEvent, tempDir } from '../archive/testing/samples.js';
import { MAX_ROLLING, SegmentRoller } from './segment-roller.js';

const silent = pino({ level: 'silent' });

async function withRoller<T>(commit: (entry: SegmentEntry | null, covered: number) => Promise<void>, fn: (roller: SegmentRoller<number>, store: FsBlobStore) => Promise<T>, maxBytes = 1 << 20): Promise<T> {
  const { dir, cleanup } = await tempDir('rewind-roller-');
  try {
    const store = new FsBlobStore(dir);
    return await fn(new SegmentRoller<number>({ store, codec: 'deflate', maxBytes, maxAgeMs: 60_000, log: silent, commit }), store);
  } finally {
    await cleanup();
  }
}

describe('segment roller', () => {
  it('commits rolled segments in roll order with what each covers, even when later files finish first', async () => {
    const committed: [number, number | null][] = [];
    await withRoller(
      async (entry, covered) => {
        // The first commit is slow: the later ones must wait for it.
        if (covered === 1) await new Promise((r) => setTimeout(r, 50));
        committed.push([covered, entry?.count ?? null]);
      },
      async (roller, store) => {
        for (let n = 1; n <= 3; n++) {
          for (let i = 0; i < n; i++) await roller.append(makeEvent(n * 10 + i));
          await roller.whenRoom();
          roller.start('test', n);
        }
        await roller.settle();
        expect(committed).toEqual([
          [1, 1],
          [2, 2],
          [3, 3],
        ]);
        expect(roller.segmentsWritten).toBe(3);
        expect(roller.open).toBeNull();
        // An empty roll writes nothing and still commits what it covers.
        await roller.roll('empty', () => 4);
        expect(committed.at(-1)).toEqual([4, null]);
        expect(await store.list('segments/')).toHaveLength(3);
      },
    );
  });

  it('a failed commit stops every later one and is rethrown', async () => {
    const committed: number[] = [];
    await withRoller(
      (_entry, covered) => {
        if (covered === 1) return Promise.reject(new Error('catalog full'));
        committed.push(covered);
        return Promise.resolve();
      },
      async (roller) => {
        await roller.append(makeEvent(1));
        roller.start('a', 1);
        await roller.append(makeEvent(2));
        roller.start('b', 2);
        await expect(roller.settle()).rejects.toThrow('catalog full');
        expect(() => roller.throwIfFailed()).toThrow('catalog full');
        await roller.abandon();
        expect(committed).toEqual([]);
      },
    );
  });

  it('rolls by size, and bounds the rolls in the background', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    await withRoller(
      () => gate,
      async (roller, store) => {
        expect(roller.due(Date.now())).toBeNull();
        await roller.append(makeEvent(1));
        expect(roller.due(Date.now())).toBe('size');
        expect(roller.due(Date.now() + 120_000)).toBe('size');
        for (let i = 0; i < MAX_ROLLING; i++) {
          await roller.append(makeEvent(i + 2));
          roller.start('size', i);
        }
        let roomy = false;
        const room = roller.whenRoom().then(() => (roomy = true));
        await new Promise((r) => setTimeout(r, 30));
        expect(roomy).toBe(false);
        release();
        await room;
        await roller.settle();
        const [first] = await store.list('segments/');
        expect(first).toBeDefined();
      },
      1,
    );
  });

  it('rolls by age', async () => {
    await withRoller(
      () => Promise.resolve(),
      async (roller) => {
        await roller.append(makeEvent(1));
        expect(roller.due(Date.now() + 60_001)).toBe('age');
        await roller.roll('age', () => 0);
      },
    );
  });

  it('writes the appended events into the segment file', async () => {
    let written: SegmentEntry | null = null;
    await withRoller(
      (entry) => {
        written = entry;
        return Promise.resolve();
      },
      async (roller, store) => {
        await roller.append(makeEvent(1));
        await roller.append(makeEvent(2));
        expect(roller.open?.events).toBe(2);
        await roller.roll('drain', () => 0);
        expect(written).not.toBeNull();
        const events = await collect(readSegment(store, written as unknown as SegmentEntry));
        expect(events.map((e) => e.id)).toEqual(['event-1', 'event-2']);
      },
    );
  });
});

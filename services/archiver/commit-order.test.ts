import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CatalogStore, FsBlobStore } from '../archive/index.js';
import type { SegmentEntry } from '../../contracts/index.js';
import { tempDir } from '../archive/testing/samples.js';
import type { LogConsumer, LogCursor } from '../eventlog/event-log.js';
import type { Checkpoint } from '../eventlog/log-record.js';
import { CatalogWrites } from './catalog-writes.js';
import { CommitOrder } from './commit-order.js';

const silent = pino({ level: 'silent' });
const at = (n: number): LogCursor => ({ transport: 'embedded', sequence: n });
const cp = (durable: string): Checkpoint => ({ resumeToken: { _data: `T${durable}` }, position: durable, durable });

async function setup(floor: () => LogCursor | null | undefined = () => undefined) {
  const { dir, cleanup } = await tempDir('rewind-commit-');
  const catalog = new CatalogStore(dir);
  await catalog.init('test');
  const committed: LogCursor[] = [];
  const consumer: LogConsumer = {
    transport: 'embedded',
    poll: () => Promise.resolve(null),
    commit: (c) => {
      committed.push(c);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const order = new CommitOrder(consumer, new CatalogWrites(new FsBlobStore(dir), catalog, silent), floor);
  order.startFrom(await catalog.read());
  return { catalog, order, committed, cleanup };
}

describe('commit order', () => {
  it('commits a checkpoint with the segment it covers, then the log position', async () => {
    const { catalog, order, committed, cleanup } = await setup();
    try {
      order.offer(cp('10.1.0'));
      order.offer(cp('12.1.0'));
      order.offer(cp('11.1.0')); // older than the pending one: ignored
      order.handledCursor = at(3);
      const covered = order.take();
      expect(covered).toEqual({ checkpoint: cp('12.1.0'), cursor: at(3) });
      expect(order.pendingDurable).toBeNull();
      const entry = { id: 'seg-1', file: { path: 'segments/seg-1.avro', sha256: 'a'.repeat(64), bytes: 1 }, first: '10.1.0', last: '12.1.0', count: 2, codec: 'deflate', namespaces: { 'a.b': 2 }, createdAt: new Date().toISOString() } as SegmentEntry;
      await order.commit(entry, covered);
      const c = await catalog.read();
      expect(c.segments.map((s) => s.id)).toEqual(['seg-1']);
      expect(c.durable).toBe('12.1.0');
      expect(c.resumeToken).toEqual({ _data: 'T12.1.0' });
      expect(committed).toEqual([at(3)]);
      // A checkpoint at or before what the catalog holds is old news.
      order.offer(cp('12.1.0'));
      expect(order.pendingDurable).toBeNull();
    } finally {
      await cleanup();
    }
  });

  it('progress without a checkpoint commits only the log position, never backwards', async () => {
    const { catalog, order, committed, cleanup } = await setup();
    try {
      const before = (await catalog.read()).generation;
      order.handledCursor = at(5);
      await order.commitProgress(false);
      order.handledCursor = at(4);
      await order.commitProgress(false);
      expect(committed).toEqual([at(5)]);
      expect((await catalog.read()).generation).toBe(before);
    } finally {
      await cleanup();
    }
  });

  it('never commits the log past the floor an initial copy holds', async () => {
    let floor: LogCursor | null | undefined = at(2);
    const { order, committed, cleanup } = await setup(() => floor);
    try {
      order.handledCursor = at(9);
      await order.commitProgress(false);
      expect(committed).toEqual([at(2)]);
      floor = null; // held before anything was handled: nothing may be committed
      order.handledCursor = at(10);
      await order.commitProgress(false);
      expect(committed).toEqual([at(2)]);
      floor = undefined; // released
      await order.commitProgress(false);
      expect(committed).toEqual([at(2), at(10)]);
    } finally {
      await cleanup();
    }
  });
});

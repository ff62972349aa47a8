import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CatalogStore, FsBlobStore } from '../archive/index.js';
import { bsonBytes, tempDir } from '../archive/testing/samples.js';
import type { LogCursor } from '../eventlog/event-log.js';
import { CatalogWrites } from './catalog-writes.js';
import { CopyAssembler } from './copy-assembler.js';

const silent = pino({ level: 'silent' });
const at = (n: number): LogCursor => ({ transport: 'embedded', sequence: n });

async function setup() {
  const { dir, cleanup } = await tempDir('rewind-copy-');
  const store = new FsBlobStore(dir);
  const catalog = new CatalogStore(dir);
  await catalog.init('test');
  const copies = new CopyAssembler({ store, catalog, writes: new CatalogWrites(store, catalog, silent), codec: 'deflate', compaction: { everyMs: null, afterEvents: null, memoryBytes: 1 << 20 }, log: silent });
  return { store, catalog, copies, cleanup };
}

const metadata = { ns: 'shop.orders', indexes: [], options: {} };

describe('copy assembler', () => {
  it('holds the log at its floor from copy-start until the base is committed', async () => {
    const { catalog, copies, cleanup } = await setup();
    try {
      expect(copies.logFloor()).toBeUndefined();
      copies.start('c1', '100.1.0', at(4));
      expect(copies.logFloor()).toEqual(at(4));
      expect(copies.isCurrent('c1')).toBe(true);
      expect(copies.isCurrent('other')).toBe(false);
      copies.addCollection(metadata);
      await copies.addDocuments('shop.orders', [bsonBytes({ _id: 1, v: 1 }), bsonBytes({ _id: 2, v: 2 })]);
      expect(copies.status).toEqual({ copyId: 'c1', documents: 2 });
      const done = await copies.finishFiles();
      expect(done?.raw.map((n) => n.count)).toEqual([2]);
      // Finished, not yet a base: still held.
      expect(copies.active).toBe(false);
      expect(copies.logFloor()).toEqual(at(4));
      await copies.commitBase(done as NonNullable<typeof done>, { seconds: 100, increment: 1, index: 0 });
      expect(copies.logFloor()).toBeUndefined();
      const c = await catalog.read();
      expect(c.snapshots.map((s) => [s.kind, s.namespaces.map((n) => n.count)])).toEqual([['initial-copy', [2]]]);
      expect(c.snapshots[0]?.id).toMatch(/-initial-copy-c1$/);
      expect(c.collections).toEqual([metadata]);
    } finally {
      await cleanup();
    }
  });

  it('a copy held before anything was handled holds the log at nothing; a gap drops it and releases the log', async () => {
    const { store, copies, cleanup } = await setup();
    try {
      copies.start('c2', '100.1.0', null);
      expect(copies.logFloor()).toBeNull();
      copies.addCollection(metadata);
      await copies.addDocuments('shop.orders', [bsonBytes({ _id: 1 })]);
      await copies.drop();
      expect(copies.active).toBe(false);
      expect(copies.logFloor()).toBeUndefined();
      expect(await store.list('snapshots/')).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

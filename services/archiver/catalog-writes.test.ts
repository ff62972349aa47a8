import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CatalogStore, FsBlobStore } from '../archive/index.js';
import { tempDir } from '../archive/testing/samples.js';
import { CatalogWrites } from './catalog-writes.js';

const silent = pino({ level: 'silent' });

describe('catalog writes', () => {
  it('records a gap once, however often it is re-delivered', async () => {
    const { dir, cleanup } = await tempDir('rewind-writes-');
    try {
      const catalog = new CatalogStore(dir);
      await catalog.init('test');
      const writes = new CatalogWrites(new FsBlobStore(dir), catalog, silent);
      await writes.recordGap('10.1.0', 'history lost');
      await writes.recordGap('10.1.0', 'history lost');
      await writes.recordGap('20.1.0', 'history lost');
      expect((await catalog.read()).gaps.map((g) => g.from)).toEqual(['10.1.0', '20.1.0']);
    } finally {
      await cleanup();
    }
  });

  it('a failed update removes the uncatalogued files it would have added', async () => {
    const { dir, cleanup } = await tempDir('rewind-writes-');
    try {
      const catalog = new CatalogStore(dir);
      await catalog.init('test');
      const store = new FsBlobStore(dir);
      await mkdir(join(dir, 'segments'), { recursive: true });
      await writeFile(join(dir, 'segments', 'x.avro'), 'bytes');
      const writes = new CatalogWrites(store, catalog, silent);
      await expect(
        writes.updateOrDiscard(['segments/x.avro'], () => {
          throw new Error('disk full');
        }),
      ).rejects.toThrow('disk full');
      expect(await store.list('segments/')).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

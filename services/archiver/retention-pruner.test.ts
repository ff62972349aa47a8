import { describe, expect, it } from 'vitest';
import { CatalogStore, FsBlobStore, writeSegment } from '../archive/index.js';
import { makeEvent, tempDir } from '../archive/testing/samples.js';
import { applyRetentionPlan } from './retention-pruner.js';

describe('retention pruner', () => {
  it('drops the planned entries from the catalog and deletes their files, nothing else', async () => {
    const { dir, cleanup } = await tempDir('rewind-prune-');
    try {
      const store = new FsBlobStore(dir);
      const catalog = new CatalogStore(dir);
      await catalog.init('test');
      const a = await writeSegment(store, [makeEvent(1)]);
      const b = await writeSegment(store, [makeEvent(2)]);
      await catalog.update((d) => void d.segments.push(a, b));
      await applyRetentionPlan(store, catalog, { snapshots: [], segments: [a], files: [a.file] });
      expect((await catalog.read()).segments.map((s) => s.id)).toEqual([b.id]);
      expect(await store.list('segments/')).toEqual([b.file.path]);
    } finally {
      await cleanup();
    }
  });
});

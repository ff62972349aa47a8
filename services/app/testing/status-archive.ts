/** A small real archive for the status and verify tests: a base snapshot, two segments and a durable point a few seconds ago. */
import type { Catalog } from '../../../contracts/catalog.js';
import { CatalogStore, FsBlobStore, writeSegment, writeSnapshotNamespace } from '../../archive/index.js';
import { bsonBytes, makeEvent, tempDir } from '../../archive/testing/samples.js';

export interface StatusArchive {
  dir: string;
  catalog: Catalog;
  /** The cluster-time seconds the archive's positions carry. */
  seconds: number;
  cleanup: () => Promise<void>;
}

export async function statusArchive(secondsAgo = 3): Promise<StatusArchive> {
  const { dir, cleanup } = await tempDir('rewind-status-');
  const seconds = Math.floor(Date.now() / 1000) - secondsAgo;
  const store = new FsBlobStore(dir);
  const catalogs = new CatalogStore(dir);
  await catalogs.init('status-test');
  const snap = await writeSnapshotNamespace(store, 'snap-1', { ns: 'shop.orders', indexes: [], options: {} }, [1, 2].map((i) => ({ key: bsonBytes({ _id: i }), document: bsonBytes({ _id: i, v: i }) })));
  const seg1 = await writeSegment(store, [makeEvent(3, { seconds, increment: 3 }), makeEvent(4, { seconds, increment: 4 })]);
  const seg2 = await writeSegment(store, [makeEvent(5, { seconds, increment: 5 })]);
  const catalog = await catalogs.update((c) => {
    c.snapshots.push({ id: 'snap-1', position: `${seconds}.2.0`, kind: 'initial-copy', namespaces: [snap], createdAt: new Date().toISOString() });
    c.segments.push(seg1, seg2);
    c.durable = `${seconds}.5.0`;
  });
  return { dir, catalog, seconds, cleanup };
}

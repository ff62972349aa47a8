/**
 * Child process of the crash test: commits catalog updates in a loop until
 * killed. Each update adds a segment entry and rewrites a catalog large enough
 * that a SIGKILL often lands in the middle of a write.
 * Usage: node --import tsx catalog-update-loop.ts <archive-dir>
 */
import { CatalogStore } from '../catalog-store.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: catalog-update-loop.ts <archive-dir>');
const catalog = new CatalogStore(dir, { lockWaitMs: 10_000 });
await catalog.init('crash-test');
let announced = false;
for (;;) {
  await catalog.update((c) => {
    const n = c.segments.length + 1;
    c.segments.push({
      id: `seg-${n}`,
      file: { path: `segments/seg-${n}.avro`, sha256: n.toString(16).padStart(64, '0'), bytes: n },
      first: `${1000 + n}.1.0`,
      last: `${1000 + n}.9.0`,
      count: 9,
      codec: 'deflate',
      namespaces: { 'shop.orders': 5, 'shop.items': 4, [`padding.${'x'.repeat(200)}`]: n },
      createdAt: new Date().toISOString(),
    });
    c.durable = `${1000 + n}.9.0`;
  });
  if (!announced) {
    process.stdout.write('ready\n');
    announced = true;
  }
}

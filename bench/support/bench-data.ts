/**
 * The benchmark namespace, shared by bench/restore.ts and bench/diff.ts:
 * documents generated from their index (so nothing big is held) and an
 * archive of them with a segment of updates to fold.
 */
import { Double, Int32, Long } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { position } from '../../contracts/index.js';
import { RawEvents } from '../../test/e2e/restore/raw-events.js';
import { TestArchive } from '../../test/e2e/restore/test-archive.js';

export function benchDocument(i: number): Document {
  return {
    _id: new Int32(i),
    sku: `sku-${(i * 7919) % 1_000_003}`,
    qty: new Int32(i % 100),
    price: new Double((i % 1000) / 7),
    total: Long.fromNumber(i * 1_000_003),
    customer: { name: `customer ${i}`, tier: new Int32(i % 4), since: new Date(1_714_564_800_000 + i) },
    tags: ['a', 'b', 'c'],
    note: 'x'.repeat(80),
  };
}

/** The document i as it is at the archive's end: every 50th one was updated by an event. */
export function finalBenchDocument(i: number): Document {
  const d = benchDocument(i);
  if (i % 50 === 0) d.qty = new Int32(-1);
  return d;
}

const EVENTS_PER_SEGMENT = 100_000;

/**
 * An archive holding `count` documents in shop.orders: a snapshot plus
 * segments of updates (every `updateEvery`th document; finalBenchDocument
 * assumes 50) folded on restore. Documents are generated from their index,
 * and events are written a segment at a time, so nothing big stays in memory.
 */
export async function benchArchive(count: number, updateEvery = 50): Promise<TestArchive> {
  const archive = await TestArchive.create('bench');
  await archive.initialSnapshotFrom(position(1_767_300_000, 0, 0), 'shop.orders', count, benchDocument);
  const raw = new RawEvents(1_767_300_001, 'shop');
  let queued = 0;
  for (let i = 0; i < count; i += updateEvery) {
    archive.add(raw.one(raw.set('orders', new Int32(i), { qty: new Int32(-1) })));
    if (++queued % EVENTS_PER_SEGMENT === 0) await archive.flush();
  }
  await archive.flush();
  return archive;
}

import { Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from '../../contracts/bson.js';
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareDocumentKeys } from '../../contracts/index.js';
import type { CollectionMetadata, SnapshotRecord } from '../../contracts/index.js';
import {
  ArchiveError,
  FsBlobStore,
  SnapshotNamespaceWriter,
  decodeNameFromPath,
  readSnapshotNamespace,
  writeSnapshotNamespace,
} from './index.js';
import { bsonBytes, collect, everyBsonType, tempDir } from './testing/samples.js';

let cleanup: () => Promise<void>;
let store: FsBlobStore;

beforeEach(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  store = new FsBlobStore(t.dir);
});
afterEach(async () => cleanup());

const meta = (ns: string): CollectionMetadata => ({ ns, indexes: [{ v: 2, key: { _id: 1 }, name: '_id_' }], options: {} });

/** Keys of many BSON types, in MongoDB's order. */
function sortedKeys(): Buffer[] {
  const ids: unknown[] = [
    new MinKey(),
    null,
    new Double(Number.NaN),
    -1.5,
    new Int32(1),
    Long.fromNumber(2),
    Decimal128.fromString('2.5'),
    'a',
    'b',
    { a: 1 },
    [1, 2],
    new Binary(Buffer.from([1]), 0),
    new ObjectId('000000000000000000000001'),
    false,
    true,
    new Date(0),
    new Timestamp({ t: 1, i: 1 }),
    new MaxKey(),
  ];
  const keys = ids.map((_id) => bsonBytes({ _id }));
  return [...keys].sort(compareDocumentKeys);
}

describe('snapshot namespace: every BSON type survives document → snapshot → read, byte for byte', () => {
  it('keys of every type and documents of every type come back identical, in key order', async () => {
    const keys = sortedKeys();
    const records: SnapshotRecord[] = keys.map((key, i) => ({
      key,
      document: bsonBytes({ ...everyBsonType(i), _id: i, keyBytes: key }),
    }));
    const entry = await writeSnapshotNamespace(store, 'snap-1', meta('shop.orders'), records, { blockBytes: 2048 });
    expect(entry.count).toBe(records.length);
    expect(entry.files).toHaveLength(1);
    expect(entry.files[0]?.path).toBe('snapshots/snap-1/shop/orders-00000.avro');
    const back = await collect(readSnapshotNamespace(store, entry));
    expect(back).toHaveLength(records.length);
    back.forEach((r, i) => {
      expect(Buffer.compare(r.key, records[i]?.key as Buffer)).toBe(0);
      expect(Buffer.compare(r.document, records[i]?.document as Buffer)).toBe(0);
    });
  });

  it('rolls into numbered parts after the size limit and reads them in order', async () => {
    const records: SnapshotRecord[] = Array.from({ length: 600 }, (_, i) => ({
      key: bsonBytes({ _id: new Int32(i) }),
      document: bsonBytes({ _id: new Int32(i), ...everyBsonType(i) }),
    }));
    const entry = await writeSnapshotNamespace(store, 'snap-2', meta('shop.items'), records, {
      partMaxBytes: 64 * 1024,
      blockBytes: 8 * 1024,
      codec: 'null',
    });
    expect(entry.files.length).toBeGreaterThan(3);
    expect(entry.files.map((f) => f.path)).toEqual(entry.files.map((_, i) => `snapshots/snap-2/shop/items-${String(i).padStart(5, '0')}.avro`));
    expect(await store.list('snapshots/snap-2/')).toEqual(entry.files.map((f) => f.path));
    const back = await collect(readSnapshotNamespace(store, entry));
    expect(back.map((r) => Buffer.compare(r.document, records[back.indexOf(r)]?.document as Buffer))).toEqual(back.map(() => 0));
    expect(back).toHaveLength(600);
  });

  it('refuses a key out of order, and a duplicate key in any numeric type (Int32 1 == Double 1.0 == Long 1)', async () => {
    const w = new SnapshotNamespaceWriter(store, 'snap-3', meta('shop.orders'));
    await w.append(bsonBytes({ _id: new Int32(1) }), bsonBytes({ _id: new Int32(1) }));
    for (const dup of [new Double(1), Long.fromNumber(1), new Int32(1)]) {
      const err = await w.append(bsonBytes({ _id: dup }), bsonBytes({ _id: dup })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArchiveError);
      expect(err).toMatchObject({ code: 'SNAPSHOT_OUT_OF_ORDER', context: { duplicate: true, ns: 'shop.orders' } });
      expect((err as Error).message).toContain('snapshots/snap-3/shop/orders-00000.avro');
    }
    await expect(w.append(bsonBytes({ _id: 0 }), bsonBytes({ _id: 0 }))).rejects.toMatchObject({
      code: 'SNAPSHOT_OUT_OF_ORDER',
      context: { duplicate: false },
    });
    // A string sorts after every number, whatever its text.
    await w.append(bsonBytes({ _id: '0' }), bsonBytes({ _id: '0' }));
    const entry = await w.finish();
    expect(entry.count).toBe(2);
  });

  it('namespace names unsafe in file names are encoded safely and reversibly', async () => {
    const ns = 'Shop.weird/coll name:*?"<>|\\ é☃.with.dots';
    const entry = await writeSnapshotNamespace(store, 'snap-4', meta(ns), [{ key: bsonBytes({ _id: 1 }), document: bsonBytes({ _id: 1 }) }]);
    const path = entry.files[0]?.path as string;
    const [, , db, file] = path.split('/') as [string, string, string, string];
    expect(db + file).toMatch(/^([a-z0-9_-]|%[0-9A-F]{2})+\.avro$/);
    expect(decodeNameFromPath(db)).toBe('Shop');
    expect(decodeNameFromPath(file.replace(/-\d{5}\.avro$/, ''))).toBe('weird/coll name:*?"<>|\\ é☃.with.dots');
    // Case must not collide on case-insensitive file systems.
    const other = await writeSnapshotNamespace(store, 'snap-4', meta('shop.weird/coll name:*?"<>|\\ é☃.with.dots'), [
      { key: bsonBytes({ _id: 1 }), document: bsonBytes({ _id: 2 }) },
    ]);
    expect(other.files[0]?.path.toLowerCase()).not.toBe(path.toLowerCase());
    expect((await collect(readSnapshotNamespace(store, entry)))[0]?.document).toEqual(bsonBytes({ _id: 1 }));
  });

  it('an empty namespace has no files and reads as nothing', async () => {
    const entry = await writeSnapshotNamespace(store, 'snap-5', meta('shop.empty'), []);
    expect(entry).toMatchObject({ files: [], count: 0 });
    expect(await collect(readSnapshotNamespace(store, entry))).toEqual([]);
  });
});

describe('snapshot reader refuses damaged files and yields nothing from them', () => {
  async function sample() {
    const records: SnapshotRecord[] = Array.from({ length: 300 }, (_, i) => ({
      key: bsonBytes({ _id: i }),
      document: bsonBytes({ _id: i, ...everyBsonType(i) }),
    }));
    const entry = await writeSnapshotNamespace(store, 'snap', meta('shop.orders'), records, { blockBytes: 16 * 1024 });
    const ref = entry.files[0] as (typeof entry.files)[number];
    return { entry, ref, bytes: await readFile(store.locate(ref.path)) };
  }

  it('a flipped byte at several offsets: ARCHIVE_CHECKSUM_MISMATCH naming the file, nothing yielded', async () => {
    const { entry, ref, bytes } = await sample();
    for (const offset of [0, 3, 30, 200, Math.floor(bytes.length / 2), bytes.length - 60, bytes.length - 1]) {
      const damaged = Buffer.from(bytes);
      damaged[offset] = (damaged[offset] as number) ^ 0x01;
      await writeFile(store.locate(ref.path), damaged);
      let yielded = 0;
      const err = await (async () => {
        for await (const _ of readSnapshotNamespace(store, entry)) yielded++;
      })().catch((e: unknown) => e);
      expect(yielded).toBe(0);
      expect(err).toMatchObject({ code: 'ARCHIVE_CHECKSUM_MISMATCH', context: { path: ref.path } });
      expect((err as Error).message).toContain(ref.path);
    }
  });

  it('a truncated file: ARCHIVE_TRUNCATED naming the file, nothing yielded', async () => {
    const { entry, ref, bytes } = await sample();
    await writeFile(store.locate(ref.path), bytes.subarray(0, bytes.length - 5));
    let yielded = 0;
    const err = await (async () => {
      for await (const _ of readSnapshotNamespace(store, entry)) yielded++;
    })().catch((e: unknown) => e);
    expect(yielded).toBe(0);
    expect(err).toMatchObject({ code: 'ARCHIVE_TRUNCATED', context: { path: ref.path } });
    expect((err as Error).message).toContain(ref.path);
  });
});

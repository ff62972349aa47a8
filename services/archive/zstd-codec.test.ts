// The zstandard codec: segments and snapshots written with it read back byte
// for byte, its files are standard Avro containers (avsc's own decoder reads
// them given a zstd codec), every reader reads null, deflate and zstandard
// files side by side, and the config chooses it.
import avro from 'avsc';
import { decompress } from '@bokuweb/zstd-wasm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveConfigSchema, parseConfig } from '../../contracts/config.js';
import type { ChangeEvent } from '../../contracts/index.js';
import { FsBlobStore, readSegment, readSnapshotNamespace, writeSegment, writeSnapshotNamespace } from './index.js';
import { bsonBytes, collect, everyBsonType, makeEvent, tempDir } from './testing/samples.js';
import { zstdReady } from './zstd-codec.js';

let dir: string;
let cleanup: () => Promise<void>;
let store: FsBlobStore;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('rewind-zstd-'));
  store = new FsBlobStore(dir);
});
afterEach(async () => cleanup());

const events = (n: number, from = 1) => Array.from({ length: n }, (_, i) => makeEvent(from + i, { document: bsonBytes(everyBsonType(from + i)) }));

describe('zstandard codec', () => {
  it('round-trips segments and snapshots byte for byte, and compresses', async () => {
    const sample = events(2000);
    const [zstd, none] = [await writeSegment(store, sample, { codec: 'zstandard' }), await writeSegment(store, sample, { codec: 'null' })];
    expect(zstd.codec).toBe('zstandard');
    expect(zstd.file.bytes).toBeLessThan(none.file.bytes / 2);
    const back = await collect(readSegment(store, zstd));
    expect(back.map((e) => Buffer.from(e.fullDocument as Buffer).toString('hex'))).toEqual(sample.map((e) => Buffer.from(e.fullDocument as Buffer).toString('hex')));
    const ns = await writeSnapshotNamespace(
      store,
      'snap-z',
      { ns: 'shop.orders', indexes: [], options: {} },
      [1, 2, 3].map((i) => ({ key: bsonBytes({ _id: i }), document: bsonBytes(everyBsonType(i)) })),
      { codec: 'zstandard' },
    );
    const docs = await collect(readSnapshotNamespace(store, ns));
    expect(docs.map((d, i) => Buffer.from(d.document).equals(bsonBytes(everyBsonType(i + 1))))).toEqual([true, true, true]);
  });

  it('writes standard Avro: avsc decodes the file with its own framing and a zstd codec', async () => {
    await zstdReady();
    const sample = events(300);
    const entry = await writeSegment(store, sample, { codec: 'zstandard', blockBytes: 8 * 1024 });
    const decoded: ChangeEvent[] = [];
    const decoder = avro.createFileDecoder(store.locate(entry.file.path), {
      codecs: { zstandard: (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => cb(null, Buffer.from(decompress(buf))) },
    });
    await new Promise((resolve, reject) => {
      decoder.on('metadata', (_type: unknown, codec: string) => expect(codec).toBe('zstandard'));
      decoder.on('data', (e: ChangeEvent) => decoded.push(e));
      decoder.on('end', resolve);
      decoder.on('error', reject);
    });
    expect(decoded.map((e) => e.id)).toEqual(sample.map((e) => e.id));
  });

  it('every reader reads null, deflate and zstandard files alike, in one archive', async () => {
    const parts = [
      await writeSegment(store, events(100, 1), { codec: 'deflate' }),
      await writeSegment(store, events(100, 101), { codec: 'zstandard' }),
      await writeSegment(store, events(100, 201), { codec: 'null' }),
    ];
    const all: ChangeEvent[] = [];
    for (const p of parts) all.push(...(await collect(readSegment(store, p))));
    expect(all.map((e) => e.increment)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('is chosen in config; an unknown codec is refused naming the field', () => {
    expect(parseConfig(archiveConfigSchema, { dir: '/a', codec: 'zstandard' }).codec).toBe('zstandard');
    expect(() => parseConfig(archiveConfigSchema, { dir: '/a', codec: 'zstd' })).toThrow(/codec: Invalid option/);
  });
});

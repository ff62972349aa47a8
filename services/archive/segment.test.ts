import { BSONRegExp, Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, deserialize } from '../../contracts/bson.js';
import avro from 'avsc';
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXACT_BSON, PositionFormatError, changeEventSchema, changeEventType } from '../../contracts/index.js';
import type { ChangeEvent } from '../../contracts/index.js';
import { ArchiveError, FsBlobStore, SegmentWriter, readSegment, writeSegment } from './index.js';
import type { ArchiveErrorCode } from './index.js';
import { BINARY_SUBTYPES, bsonBytes, collect, everyBsonType, makeEvent, tempDir } from './testing/samples.js';

let dir: string;
let cleanup: () => Promise<void>;
let store: FsBlobStore;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  store = new FsBlobStore(dir);
});
afterEach(async () => cleanup());

/** Reads expecting a failure; returns the error and how many events were yielded before it. */
async function readExpectingError(read: AsyncIterable<unknown>): Promise<{ err: unknown; yielded: number }> {
  let yielded = 0;
  try {
    for await (const _ of read) yielded++;
  } catch (err) {
    return { err, yielded };
  }
  return { err: null, yielded };
}

function expectArchiveError(err: unknown, code: ArchiveErrorCode, path: string): void {
  expect(err).toBeInstanceOf(ArchiveError);
  const e = err as ArchiveError;
  expect(e.code).toBe(code);
  expect(e.context).toMatchObject({ path });
  expect(e.message).toContain(path);
}

describe('every BSON type survives event → segment → read, byte for byte', () => {
  it('the sample document holds every BSON type and every Binary subtype', () => {
    const d = deserialize(bsonBytes(everyBsonType()), EXACT_BSON);
    expect(d.double).toBeInstanceOf(Double);
    expect(typeof d.string).toBe('string');
    expect(typeof d.object).toBe('object');
    expect(Array.isArray(d.array)).toBe(true);
    for (const st of BINARY_SUBTYPES) expect((d[`bin_${st}`] as Binary).sub_type).toBe(st);
    expect(d._id).toBeInstanceOf(ObjectId);
    expect(d.boolTrue).toBe(true);
    expect(d.date).toBeInstanceOf(Date);
    expect(d.null).toBeNull();
    expect(d.regex).toBeInstanceOf(BSONRegExp);
    expect(d.int32).toBeInstanceOf(Int32);
    expect(d.timestamp).toBeInstanceOf(Timestamp);
    expect(d.int64).toBeInstanceOf(Long);
    expect(d.decimal128).toBeInstanceOf(Decimal128);
    expect(d.minKey).toBeInstanceOf(MinKey);
    expect(d.maxKey).toBeInstanceOf(MaxKey);
  });

  for (const codec of ['deflate', 'null'] as const) {
    it(`codec ${codec}: every payload field comes back as the same bytes`, async () => {
      const events: ChangeEvent[] = [];
      for (let n = 1; n <= 40; n++) {
        const e = makeEvent(n, { document: bsonBytes(everyBsonType(n)) });
        e.fullDocumentBeforeChange = bsonBytes({ ...everyBsonType(n + 1000), before: true });
        e.operationDescription = bsonBytes({ every: everyBsonType(n + 2000) });
        e.txn = { lsid: bsonBytes({ id: new Binary(Buffer.alloc(16, 9), 4) }), txnNumber: 2 ** 40 + n };
        e.updateDescription = {
          updatedFields: bsonBytes({ 'a.b.0': everyBsonType(n + 3000) }),
          removedFields: ['x', 'y.1'],
          truncatedArrays: [{ field: 'arr', newSize: 2 }],
          disambiguatedPaths: bsonBytes({ 'a.b.0': ['a', 'b', 0] }),
        };
        events.push(e);
      }
      // Small blocks, so the file has many blocks.
      const entry = await writeSegment(store, events, { codec, blockBytes: 4 * 1024 });
      expect(entry.count).toBe(40);
      expect(entry.codec).toBe(codec);
      const back = await collect(readSegment(store, entry));
      expect(back).toHaveLength(events.length);
      for (let i = 0; i < events.length; i++) {
        const a = events[i] as ChangeEvent;
        const b = back[i] as ChangeEvent;
        expect(Buffer.compare(b.fullDocument as Buffer, a.fullDocument as Buffer)).toBe(0);
        expect(Buffer.compare(b.fullDocumentBeforeChange as Buffer, a.fullDocumentBeforeChange as Buffer)).toBe(0);
        expect(Buffer.compare(b.operationDescription as Buffer, a.operationDescription as Buffer)).toBe(0);
        expect(Buffer.compare(b.documentKey as Buffer, a.documentKey as Buffer)).toBe(0);
        expect(Buffer.compare(b.resumeToken, a.resumeToken)).toBe(0);
        expect(Buffer.compare(b.updateDescription?.updatedFields as Buffer, a.updateDescription?.updatedFields as Buffer)).toBe(0);
        expect({ ...b, updateDescription: { ...b.updateDescription }, ns: { ...b.ns }, txn: { ...b.txn } }).toEqual({
          ...a,
          updateDescription: { ...a.updateDescription },
          ns: { ...a.ns },
          txn: { ...a.txn },
        });
      }
    });
  }
});

describe('segment writer', () => {
  it('describes the segment for the catalog: positions, count, namespaces (renames count for both)', async () => {
    const events = [
      makeEvent(1, { db: 'a', coll: 'x' }),
      makeEvent(2, { db: 'a', coll: 'y' }),
      { ...makeEvent(3, { db: 'a', coll: 'x', op: 'rename' }), to: { db: 'b', coll: 'z' } },
      makeEvent(4, { db: 'a', coll: null, op: 'dropDatabase' }),
    ];
    const entry = await writeSegment(store, events);
    expect(entry.first).toBe('1714564800.1.0');
    expect(entry.last).toBe('1714564800.4.0');
    expect(entry.count).toBe(4);
    expect(entry.namespaces).toEqual({ 'a.x': 2, 'a.y': 1, 'b.z': 1, a: 1 });
    expect(entry.file.path).toBe(`segments/${entry.id}.avro`);
    expect(entry.file.bytes).toBe((await readFile(store.locate(entry.file.path))).length);
    expect(await store.list()).toEqual([entry.file.path]);
  });

  it('orders a transaction by index within one clusterTime and refuses an event that is not after the previous', async () => {
    const w = new SegmentWriter(store);
    await w.append(makeEvent(1, { increment: 5, index: 0 }));
    await w.append(makeEvent(2, { increment: 5, index: 1 }));
    await w.append(makeEvent(3, { increment: 5, index: 2 }));
    const same = w.append(makeEvent(4, { increment: 5, index: 2 }));
    await expect(same).rejects.toMatchObject({ code: 'SEGMENT_OUT_OF_ORDER', context: { previous: '1714564800.5.2', got: '1714564800.5.2' } });
    await expect(w.append(makeEvent(5, { increment: 4, index: 9 }))).rejects.toMatchObject({ code: 'SEGMENT_OUT_OF_ORDER' });
    await expect(w.append(makeEvent(6, { seconds: 1_714_564_799, increment: 99 }))).rejects.toMatchObject({
      code: 'SEGMENT_OUT_OF_ORDER',
    });
    // Positions out of range are refused with the contracts' error, first event or not.
    await expect(w.append(makeEvent(8, { increment: 9, index: -1 }))).rejects.toThrow(PositionFormatError);
    await expect(w.append(makeEvent(9, { seconds: 2 ** 32 }))).rejects.toThrow(PositionFormatError);
    await expect(new SegmentWriter(store).append(makeEvent(1, { increment: 2 ** 32 }))).rejects.toThrow(PositionFormatError);
    // The writer is still usable after a refused event.
    await w.append(makeEvent(7, { increment: 6 }));
    const entry = await w.finish();
    expect(entry.count).toBe(4);
    expect((await collect(readSegment(store, entry))).map((e) => `${e.increment}.${e.index}`)).toEqual(['5.0', '5.1', '5.2', '6.0']);
  });

  it('appends already-encoded events (bytes copied, blocks rolled) in the same order and checks as append', async () => {
    // A small block size so encoded events cross block boundaries.
    const w = new SegmentWriter(store, { blockBytes: 1024 });
    const events = Array.from({ length: 40 }, (_, i) => makeEvent(i + 1, { increment: 5 + Math.floor(i / 3), index: i % 3 }));
    for (const e of events) await w.appendEncoded(e, changeEventType.toBuffer(e));
    expect(() => w.appendEncoded(events[0] as ChangeEvent, changeEventType.toBuffer(events[0]))).toThrow(expect.objectContaining({ code: 'SEGMENT_OUT_OF_ORDER' }) as Error);
    const entry = await w.finish();
    expect(entry.count).toBe(40);
    expect(await collect(readSegment(store, entry))).toEqual(events.map((e) => ({ ...(changeEventType.clone(e) as ChangeEvent) })));
  });

  it('refuses an unknown op, an empty segment, and use after finish', async () => {
    const w = new SegmentWriter(store);
    await expect(w.append({ ...makeEvent(1), op: 'explode' as ChangeEvent['op'] })).rejects.toMatchObject({
      code: 'ARCHIVE_ENCODE_FAILED',
    });
    await expect(w.finish()).rejects.toMatchObject({ code: 'SEGMENT_EMPTY' });
    const w2 = new SegmentWriter(store);
    await w2.append(makeEvent(1));
    await w2.finish();
    await expect(w2.append(makeEvent(2))).rejects.toMatchObject({ code: 'ARCHIVE_WRITER_CLOSED' });
  });

  it('a record that does not fit the schema is refused and the writer stays usable', async () => {
    const w = new SegmentWriter(store);
    await w.append(makeEvent(1));
    const bad = { ...makeEvent(2), resumeToken: 'not bytes' as unknown as Buffer };
    await expect(w.append(bad)).rejects.toMatchObject({ code: 'ARCHIVE_ENCODE_FAILED' });
    await w.append(makeEvent(3));
    const entry = await w.finish();
    expect(entry.count).toBe(2);
    expect((await collect(readSegment(store, entry))).map((e) => e.id)).toEqual(['event-1', 'event-3']);
  });

  it('a record larger than the block size gets a block of its own', async () => {
    const big = bsonBytes({ _id: 1, blob: new Binary(Buffer.alloc(100_000, 7), 0) });
    const events = [makeEvent(1), makeEvent(2, { document: big }), makeEvent(3)];
    const entry = await writeSegment(store, events, { blockBytes: 1024 });
    const back = await collect(readSegment(store, entry));
    expect(back.map((e) => Buffer.compare(e.fullDocument as Buffer, events[back.indexOf(e)]?.fullDocument as Buffer))).toEqual([0, 0, 0]);
  });

  it('files are standard Avro object containers: avsc BlockDecoder reads them, and ours reads BlockEncoder files', async () => {
    const events = Array.from({ length: 200 }, (_, i) => makeEvent(i + 1, { document: bsonBytes(everyBsonType(i)) }));
    const entry = await writeSegment(store, events, { blockBytes: 8 * 1024 });
    const decoded: ChangeEvent[] = [];
    const decoder = avro.createFileDecoder(store.locate(entry.file.path));
    await new Promise((resolve, reject) => {
      decoder.on('data', (e: ChangeEvent) => decoded.push(e));
      decoder.on('end', resolve);
      decoder.on('error', reject);
    });
    expect(decoded.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(decoded.every((e, i) => Buffer.compare(e.fullDocument as Buffer, events[i]?.fullDocument as Buffer) === 0)).toBe(true);

    const enc = new avro.streams.BlockEncoder(changeEventSchema as unknown as avro.Schema, {
      codec: 'deflate',
      blockSize: 4096,
      metadata: { 'rewind.kind': Buffer.from('segment') },
    } as Partial<avro.EncoderOptions>);
    const chunks: Buffer[] = [];
    enc.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => enc.on('end', r));
    for (const e of events) enc.write(e);
    enc.end();
    await ended;
    const ref = await store.put('segments/by-avsc.avro', Buffer.concat(chunks));
    const back = await collect(readSegment(store, ref));
    expect(back.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('abort leaves nothing in the store; bytesWritten grows while writing', async () => {
    const w = new SegmentWriter(store, { blockBytes: 4096, codec: 'null' });
    for (let n = 1; n <= 500; n++) await w.append(makeEvent(n, { document: bsonBytes(everyBsonType(n)) }));
    expect(w.bytesWritten).toBeGreaterThan(100_000);
    await w.abort();
    expect(await store.list()).toEqual([]);
  });
});

describe('segment reader refuses damaged files and yields nothing from them', () => {
  async function sample(): Promise<{ entry: Awaited<ReturnType<typeof writeSegment>>; bytes: Buffer }> {
    const events = Array.from({ length: 400 }, (_, i) => makeEvent(i + 1, { document: bsonBytes(everyBsonType(i)) }));
    const entry = await writeSegment(store, events, { blockBytes: 32 * 1024 });
    return { entry, bytes: await readFile(store.locate(entry.file.path)) };
  }

  it('a flipped byte in the header, the middle, the last block or the last byte: checksum mismatch naming the file', async () => {
    const { entry, bytes } = await sample();
    const offsets = [0, 5, 40, Math.floor(bytes.length / 2), bytes.length - 100, bytes.length - 17, bytes.length - 1];
    for (const offset of offsets) {
      const damaged = Buffer.from(bytes);
      damaged[offset] = (damaged[offset] as number) ^ 0x40;
      await writeFile(store.locate(entry.file.path), damaged);
      const { err, yielded } = await readExpectingError(readSegment(store, entry));
      expect(yielded, `offset ${offset}`).toBe(0);
      expectArchiveError(err, 'ARCHIVE_CHECKSUM_MISMATCH', entry.file.path);
      expect((err as ArchiveError).retryable).toBe(false);
    }
  });

  it('a truncated file: ARCHIVE_TRUNCATED naming the file', async () => {
    const { entry, bytes } = await sample();
    for (const length of [0, 10, Math.floor(bytes.length / 2), bytes.length - 1]) {
      await writeFile(store.locate(entry.file.path), bytes.subarray(0, length));
      const { err, yielded } = await readExpectingError(readSegment(store, entry));
      expect(yielded).toBe(0);
      expectArchiveError(err, 'ARCHIVE_TRUNCATED', entry.file.path);
      expect((err as ArchiveError<'ARCHIVE_TRUNCATED'>).context).toMatchObject({ expectedBytes: bytes.length, actualBytes: length });
    }
  });

  it('a file with bytes appended: ARCHIVE_LENGTH_MISMATCH', async () => {
    const { entry, bytes } = await sample();
    await writeFile(store.locate(entry.file.path), Buffer.concat([bytes, Buffer.from('x')]));
    const { err, yielded } = await readExpectingError(readSegment(store, entry));
    expect(yielded).toBe(0);
    expectArchiveError(err, 'ARCHIVE_LENGTH_MISMATCH', entry.file.path);
  });

  it('a missing file: ARCHIVE_FILE_MISSING', async () => {
    const { entry } = await sample();
    await store.delete(entry.file.path);
    const { err } = await readExpectingError(readSegment(store, entry));
    expectArchiveError(err, 'ARCHIVE_FILE_MISSING', entry.file.path);
  });

  it('a file whose checksum matches but does not decode (a writer bug): ARCHIVE_DECODE_FAILED', async () => {
    const { entry, bytes } = await sample();
    const garbage = Buffer.from(bytes);
    garbage.fill(0x55, 200, 400);
    // The catalog agrees with the damaged bytes, so only the decoder can notice.
    const ref = await store.put(entry.file.path, garbage);
    const { err } = await readExpectingError(readSegment(store, ref));
    expectArchiveError(err, 'ARCHIVE_DECODE_FAILED', entry.file.path);
  });

  it('a container file that is not a segment, or holds an unknown op: ARCHIVE_DECODE_FAILED', async () => {
    const encodeFile = async (metadata: Record<string, Buffer>, records: unknown[]) => {
      const enc = new avro.streams.BlockEncoder(changeEventSchema as unknown as avro.Schema, {
        codec: 'null',
        metadata,
      } as Partial<avro.EncoderOptions>);
      const chunks: Buffer[] = [];
      enc.on('data', (c: Buffer) => chunks.push(c));
      const done = new Promise((r) => enc.on('end', r));
      for (const r of records) enc.write(r);
      enc.end();
      await done;
      return Buffer.concat(chunks);
    };
    const notSegment = await store.put('segments/other.avro', await encodeFile({ 'rewind.kind': Buffer.from('snapshot') }, [makeEvent(1)]));
    const r1 = await readExpectingError(readSegment(store, notSegment));
    expectArchiveError(r1.err, 'ARCHIVE_DECODE_FAILED', 'segments/other.avro');
    expect((r1.err as Error).message).toContain('expected a segment file');

    const badOp = await store.put(
      'segments/bad-op.avro',
      await encodeFile({ 'rewind.kind': Buffer.from('segment') }, [{ ...makeEvent(1), op: 'explode' }]),
    );
    const r2 = await readExpectingError(readSegment(store, badOp));
    expectArchiveError(r2.err, 'ARCHIVE_DECODE_FAILED', 'segments/bad-op.avro');
    expect((r2.err as Error).message).toContain('explode');
  });

  it('a catalog count that disagrees with the file: ARCHIVE_COUNT_MISMATCH', async () => {
    const { entry } = await sample();
    const { err } = await readExpectingError(readSegment(store, { ...entry, count: entry.count + 1 }));
    expectArchiveError(err, 'ARCHIVE_COUNT_MISMATCH', entry.file.path);
  });
});

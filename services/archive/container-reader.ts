/**
 * Reads Avro object container files block by block. avsc decodes everything
 * (the header record, block counts and sizes, the records through a resolver
 * from the file's writer schema); this file only walks the framing, because
 * avsc's BlockDecoder stream costs stream machinery per record, several times
 * the decoding itself, and inflates one block at a time (bench/archive.ts).
 *
 * The file is verified first (length and sha256, streamed), so a damaged file
 * yields nothing. Memory holds one read chunk and one block at a time.
 */
import avro from 'avsc';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import type { FileRef } from '../../contracts/index.js';
import { ArchiveError, isArchiveError } from './archive-errors.js';
import type { BlobStore } from './blob-store.js';
import { openVerified } from './checksum.js';
import { decryptStream, isEncrypted } from './file-cipher.js';
import { openDataKey } from './key-envelopes.js';
import { keyringOf } from './keyed-store.js';
import { zstdDecompress } from './zstd-codec.js';
import { FILE_KIND_KEY, MAGIC, SYNC_BYTES, headerType, longType } from './container-format.js';
import type { ContainerHeader, FileKind } from './container-format.js';

/** No block rewind writes comes near this; a larger size means a damaged length. */
const MAX_BLOCK_BYTES = 512 * 1024 * 1024;
/**
 * Blocks being inflated (on libuv's thread pool) while the previous one is
 * decoded: inflating costs about as much as decoding, so overlapping the two
 * nearly halves the time per event on two cores. Bounds memory to a few blocks.
 */
const INFLATE_AHEAD = 3;
const inflateRawAsync = promisify(inflateRaw);
/**
 * zlib's output chunk: with the default 16 KiB, inflating one 256 KiB block
 * takes 16 round trips between the thread pool and this thread plus a concat.
 */
const INFLATE_CHUNK_BYTES = 1024 * 1024;

/** Accumulates read chunks; compacts only what is still needed. */
class ByteQueue {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  push(chunk: Buffer): void {
    this.buf = this.pos >= this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

/**
 * Records of one container file, one array per block, in file order.
 * `readerType` resolves the writer schema stored in the file's header.
 */
export async function* readContainerBlocks<T>(
  store: BlobStore,
  ref: FileRef,
  readerType: avro.Type,
  kind: FileKind,
): AsyncGenerator<T[], void, undefined> {
  const location = store.locate(ref.path);
  const fail = (detail: string, cause?: unknown) =>
    new ArchiveError('ARCHIVE_DECODE_FAILED', { path: ref.path, location, detail }, { cause });

  const source = await openVerified(store, ref);
  let bytesRead = 0;
  const raw = (async function* () {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      bytesRead += chunk.length;
      yield chunk;
    }
  })();
  const q = new ByteQueue();
  let header: ContainerHeader | null = null;
  let resolver: avro.Resolver | null = null;
  let inflate: (b: Buffer) => Promise<Buffer> = (b) => Promise.resolve(b);
  const pending: { count: number; data: Promise<Buffer> }[] = [];
  const decodeBlock = (count: number, data: Buffer): T[] => {
    const records: T[] = new Array<T>(count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const r = readerType.decode(data, at, resolver ?? undefined);
      if (r.offset < 0) throw fail(`record ${i} of a block runs past the block's end`);
      records[i] = r.value as T;
      at = r.offset;
    }
    if (at !== data.length) throw fail(`${data.length - at} stray bytes after a block's records`);
    return records;
  };
  const next = async (): Promise<T[]> => {
    const block = pending.shift() as (typeof pending)[number];
    return decodeBlock(block.count, await block.data);
  };
  try {
    for await (const chunk of plaintextOf(store, ref, raw, location)) {
      q.push(chunk);
      if (!header) {
        if (q.remaining < MAGIC.length) continue;
        if (!q.buf.subarray(0, MAGIC.length).equals(MAGIC)) throw fail('not an Avro object container file (bad magic bytes)');
        const h = headerType.decode(q.buf, 0);
        if (h.offset < 0) continue; // header not complete yet
        header = h.value as ContainerHeader;
        q.pos = h.offset;
        const found = header.meta[FILE_KIND_KEY]?.toString();
        if (found !== kind) throw fail(`expected a ${kind} file, the header says ${found ?? 'nothing'}`);
        const codec = header.meta['avro.codec']?.toString() ?? 'null';
        if (codec === 'deflate') inflate = (b) => inflateRawAsync(b, { chunkSize: INFLATE_CHUNK_BYTES });
        else if (codec === 'zstandard') inflate = zstdDecompress;
        else if (codec !== 'null') throw fail(`unknown codec ${codec}`);
        const schema = header.meta['avro.schema'];
        if (!schema) throw fail('no schema in the header');
        const writerType = avro.Type.forSchema(JSON.parse(schema.toString()) as avro.Schema);
        resolver = readerType.createResolver(writerType);
      }
      for (;;) {
        const count = longType.decode(q.buf, q.pos);
        if (count.offset < 0) break;
        const size = longType.decode(q.buf, count.offset);
        if (size.offset < 0) break;
        const n = count.value as number;
        const bytes = size.value as number;
        if (n < 0 || bytes < 0 || bytes > MAX_BLOCK_BYTES) throw fail(`bad block header (count ${n}, size ${bytes})`);
        const end = size.offset + bytes;
        if (q.buf.length < end + SYNC_BYTES) break; // block not complete yet
        if (!q.buf.subarray(end, end + SYNC_BYTES).equals(header.sync)) throw fail('bad sync marker after a block');
        const data = inflate(q.buf.subarray(size.offset, end));
        // Failures surface when the block's turn comes; until then nobody awaits it.
        data.catch(() => undefined);
        pending.push({ count: n, data });
        q.pos = end + SYNC_BYTES;
        if (pending.length > INFLATE_AHEAD) yield await next();
      }
    }
    while (pending.length > 0) yield await next();
    if (!header) throw fail('the file ends inside its header');
    if (q.remaining > 0) throw fail(`the file ends inside a block (${q.remaining} bytes left over)`);
  } catch (err) {
    if (isArchiveError(err)) throw err;
    throw fail(err instanceof Error ? err.message : String(err), err);
  } finally {
    source.destroy();
  }
  // The bytes were verified a moment ago; a different length now means the file was replaced meanwhile.
  if (bytesRead !== ref.bytes) {
    throw new ArchiveError('ARCHIVE_LENGTH_MISMATCH', { path: ref.path, location, expectedBytes: ref.bytes, actualBytes: bytesRead });
  }
}

/** The file's plaintext: an encrypted file is decrypted (through the store's keyring), any other passes through. */
async function* plaintextOf(store: BlobStore, ref: FileRef, raw: AsyncGenerator<Buffer>, location: string): AsyncGenerator<Buffer> {
  const first = await raw.next();
  if (first.done) return;
  const rest = (async function* () {
    yield first.value;
    yield* raw;
  })();
  if (!isEncrypted(first.value)) {
    yield* rest;
    return;
  }
  yield* decryptStream(rest, { path: ref.path, location }, (h) => openDataKey(store, keyringOf(store), ref.path, h.dekId, h.keyId));
}

/**
 * Writes Avro object container files (the specification's format), shared by
 * segments and snapshots. Each file carries its writer schema and says in its
 * header metadata what it holds (`rewind.kind`), so readers resolve older and
 * newer schemas (contracts/README.md) and refuse a file of the wrong kind.
 *
 * avsc encodes everything (header record, records, block counts and sizes);
 * this file only frames blocks. It does not use avsc's BlockEncoder stream
 * because that stream holds the writer while each block is compressed and
 * costs stream machinery per record; here records are encoded straight into a
 * block buffer and full blocks are deflated on libuv's thread pool while the
 * next block fills, which keeps the writer near raw avsc speed (bench/archive.ts).
 */
import type avro from 'avsc';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import type { FileRef } from '../../contracts/index.js';
import { ArchiveError } from './archive-errors.js';
import type { BlobSource, BlobStore } from './blob-store.js';
import { CHUNK_BYTES, encryptStream } from './file-cipher.js';
import { envelopePath, wrapDataKey } from './key-envelopes.js';
import { DEFAULT_ZSTD_LEVEL, zstdCompress } from './zstd-codec.js';
import { keyringOf } from './keyed-store.js';
import { FILE_KIND_KEY, FORMAT_KEY, FORMAT_VERSION, MAGIC, SYNC_BYTES, headerType, longType } from './container-format.js';
import type { Codec, FileKind } from './container-format.js';

export type { Codec, FileKind } from './container-format.js';

export interface ContainerWriterOptions {
  codec?: Codec;
  /** zlib level for deflate: 1 is several times faster than the default 6 and loses little on BSON. */
  deflateLevel?: number;
  /** zstd level for zstandard (default 1). */
  zstdLevel?: number;
  /** Uncompressed block size; readers hold a few blocks per file in memory. */
  blockBytes?: number;
}

export const DEFAULT_CODEC: Codec = 'deflate';
const DEFAULT_BLOCK_BYTES = 256 * 1024;
const DEFAULT_DEFLATE_LEVEL = 1;
/** Blocks being compressed at once: enough to keep a second core busy, few enough to bound memory. */
const MAX_IN_FLIGHT = 3;

const deflateRawAsync = promisify(deflateRaw);
/** zlib's output chunk: large enough for a compressed block in one piece (the default 16 KiB takes several round trips). */
const DEFLATE_CHUNK_BYTES = 512 * 1024;

interface SealedBlock {
  count: number;
  data: Promise<Buffer>;
  ready: boolean;
}

/** Streams records into one container file of a BlobStore; the file appears atomically on finish. */
export class ContainerWriter<T> {
  readonly path: string;
  private readonly type: avro.Type;
  private readonly sync = randomBytes(SYNC_BYTES);
  private readonly out = new PassThrough({ highWaterMark: 1024 * 1024 });
  private readonly done: Promise<FileRef>;
  private readonly compress: (raw: Buffer) => Promise<Buffer>;
  private readonly blockBytes: number;
  private block: Buffer;
  private blockPos = 0;
  private blockCount = 0;
  private readonly inFlight: SealedBlock[] = [];
  private failure: Error | null = null;
  private bytes = 0;
  private count = 0;
  private state: 'open' | 'finishing' | 'closed' = 'open';
  /** The key envelope written for this file (encrypted archives), removed again if the file never appears. */
  private readonly envelope: { store: BlobStore; path: string } | null = null;

  constructor(store: BlobStore, path: string, type: avro.Type, kind: FileKind, options: ContainerWriterOptions = {}) {
    this.path = path;
    this.type = type;
    this.blockBytes = options.blockBytes ?? DEFAULT_BLOCK_BYTES;
    this.block = Buffer.allocUnsafe(this.blockBytes);
    const codec = options.codec ?? DEFAULT_CODEC;
    const level = options.deflateLevel ?? DEFAULT_DEFLATE_LEVEL;
    // Raw deflate (no zlib header), as the Avro specification requires for "deflate";
    // memLevel 9 (a larger match table) is a few percent faster at level 1 on BSON.
    const zstdLevel = options.zstdLevel ?? DEFAULT_ZSTD_LEVEL;
    this.compress =
      codec === 'deflate'
        ? (raw) => deflateRawAsync(raw, { level, memLevel: 9, chunkSize: DEFLATE_CHUNK_BYTES })
        : codec === 'zstandard'
          ? (raw) => zstdCompress(raw, zstdLevel)
          : (raw) => Promise.resolve(raw);
    // The store may not be reading yet when we destroy `out`; the failure reaches us through `done`.
    this.out.on('error', () => undefined);
    let source: BlobSource = this.out;
    const keyring = keyringOf(store);
    if (keyring?.active) {
      // Client-side encryption: a fresh data key for this file, wrapped by the active master key into
      // an envelope that is durable before the first byte of the file is stored.
      const keyId = keyring.active;
      const dek = randomBytes(32);
      const dekId = randomBytes(16).toString('hex');
      const envelope = wrapDataKey(path, dekId, dek, keyId, keyring.get(keyId) as Buffer);
      this.envelope = { store, path: envelopePath(path, keyId) };
      const envelopeAt = this.envelope.path;
      const plain = this.out;
      source = (async function* () {
        await store.put(envelopeAt, envelope);
        yield* encryptStream(plain, { v: 1, alg: 'AES-256-GCM', keyId, dekId, chunk: CHUNK_BYTES }, dek);
      })();
    }
    this.done = store.put(path, source);
    this.done.catch((err: unknown) => {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
      // A store that stopped reading, or never read `out` (its folder could not be made on a full disk, a key
      // envelope failed): closing `out` wakes a write waiting for room, which then throws the failure instead of
      // waiting forever.
      this.out.destroy();
    });
    this.emit(
      headerType.toBuffer({
        magic: MAGIC,
        meta: {
          'avro.schema': Buffer.from(JSON.stringify(type.schema({ exportAttrs: true }))),
          'avro.codec': Buffer.from(codec),
          [FILE_KIND_KEY]: Buffer.from(kind),
          [FORMAT_KEY]: Buffer.from(FORMAT_VERSION),
        },
        sync: this.sync,
      }),
    );
  }

  /** Bytes already handed to the store (blocks still filling or compressing are not counted yet). */
  get bytesWritten(): number {
    return this.bytes;
  }

  get recordCount(): number {
    return this.count;
  }

  /**
   * Appends one record. A record that does not fit the schema is refused with
   * ARCHIVE_ENCODE_FAILED (thrown) and leaves the writer usable. Returns a
   * promise only when the record closed a block and the caller must wait for
   * room; most records are encoded without allocating one.
   */
  write(record: T): Promise<void> | undefined {
    this.checkOpen();
    const end = this.encodeAt(record);
    if (end < 0) return this.writeInNewBlock(record, end);
    this.blockPos = end;
    this.blockCount++;
    this.count++;
    return undefined;
  }

  /**
   * Appends one record already encoded with this file's schema (the caller vouches for that: the
   * archiver copies Kafka values that were encoded with the same type). Copies the bytes into the
   * block; returns a promise only when the block was full and the caller must wait for room.
   */
  writeEncoded(bytes: Uint8Array): Promise<void> | undefined {
    this.checkOpen();
    if (this.blockPos + bytes.length > this.block.length) return this.writeEncodedInNewBlock(bytes);
    this.block.set(bytes, this.blockPos);
    this.blockPos += bytes.length;
    this.blockCount++;
    this.count++;
    return undefined;
  }

  private async writeEncodedInNewBlock(bytes: Uint8Array): Promise<void> {
    if (this.blockCount > 0) await this.seal();
    if (bytes.length > this.block.length) this.block = Buffer.allocUnsafe(bytes.length * 2);
    this.block.set(bytes, 0);
    this.blockPos = bytes.length;
    this.blockCount++;
    this.count++;
  }

  /** The block is full: seal it and start a new one (larger if this record alone needs it). */
  private async writeInNewBlock(record: T, overflow: number): Promise<void> {
    // avsc reports how far the record ran past the buffer's end.
    const recordBytes = this.block.length - overflow - this.blockPos;
    if (this.blockCount > 0) await this.seal();
    if (recordBytes > this.block.length) this.block = Buffer.allocUnsafe(recordBytes * 2);
    this.blockPos = this.encodeAt(record);
    this.blockCount++;
    this.count++;
  }

  /** Encodes at the block's current position: the new end, or minus the bytes missing. */
  private encodeAt(record: T): number {
    try {
      return this.type.encode(record, this.block, this.blockPos);
    } catch (err) {
      throw new ArchiveError('ARCHIVE_ENCODE_FAILED', { path: this.path, detail: (err as Error).message }, { cause: err });
    }
  }

  async finish(): Promise<FileRef> {
    this.checkOpen();
    this.state = 'finishing';
    try {
      if (this.blockCount > 0) await this.seal();
      while (this.inFlight.length > 0) await this.flushOldest();
      this.throwIfFailed();
      this.out.end();
      const ref = await this.done;
      this.throwIfFailed();
      return ref;
    } catch (err) {
      this.out.destroy(err instanceof Error ? err : new Error(String(err)));
      await this.done.catch(() => undefined);
      await this.dropEnvelope();
      throw err;
    } finally {
      this.state = 'closed';
    }
  }

  /** Drops the file being written; nothing appears in the store. */
  async abort(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.out.destroy(new Error('aborted'));
    await this.done.catch(() => undefined);
    await Promise.allSettled(this.inFlight.map((b) => b.data));
    await this.dropEnvelope();
  }

  private async dropEnvelope(): Promise<void> {
    if (this.envelope) await this.envelope.store.delete(this.envelope.path).catch(() => undefined);
  }

  /** Hands the filled block to the compressor and starts a fresh buffer (the old one is being read). */
  private async seal(): Promise<void> {
    const sealed: SealedBlock = { count: this.blockCount, data: this.compress(this.block.subarray(0, this.blockPos)), ready: false };
    sealed.data.then(
      () => (sealed.ready = true),
      () => (sealed.ready = true),
    );
    this.inFlight.push(sealed);
    this.block = Buffer.allocUnsafe(this.blockBytes);
    this.blockPos = 0;
    this.blockCount = 0;
    // Write out what is already compressed; wait only when too many blocks are pending.
    while (this.inFlight.length > 0 && (this.inFlight[0]?.ready || this.inFlight.length > MAX_IN_FLIGHT)) {
      await this.flushOldest();
    }
  }

  private async flushOldest(): Promise<void> {
    const sealed = this.inFlight.shift();
    if (!sealed) return;
    let data: Buffer;
    try {
      data = await sealed.data;
    } catch (err) {
      this.failure ??= new ArchiveError('ARCHIVE_ENCODE_FAILED', { path: this.path, detail: 'compression failed' }, { cause: err });
      throw this.failure;
    }
    this.emit(longType.toBuffer(sealed.count));
    this.emit(longType.toBuffer(data.length));
    this.emit(data);
    if (!this.emit(this.sync)) await this.room();
    this.throwIfFailed();
  }

  /**
   * Waits until the store has read what is buffered, or has closed `out`: a store that failed closes it
   * (and reports the failure a moment later, through `done`), and a closed stream has no 'drain' to come.
   */
  private room(): Promise<void> {
    if (this.out.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const settle = () => {
        this.out.off('drain', settle);
        this.out.off('close', settle);
        resolve();
      };
      this.out.on('drain', settle);
      this.out.on('close', settle);
    });
  }

  private emit(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    return this.out.write(chunk);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private checkOpen(): void {
    if (this.failure) {
      this.state = 'closed';
      throw this.failure;
    }
    if (this.state !== 'open') throw new ArchiveError('ARCHIVE_WRITER_CLOSED', { path: this.path });
  }
}

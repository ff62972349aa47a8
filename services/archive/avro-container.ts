/**
 * Avro object container files (the spec's format, through avsc's block
 * encoder/decoder), shared by segments and snapshots. Each file says in its
 * header metadata what it holds (`rewind.kind`), and carries its writer schema,
 * so readers resolve older and newer schemas (contracts/README.md).
 */
import avro from 'avsc';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { deflateRaw } from 'node:zlib';
import type { FileRef } from '../../contracts/index.js';
import { ArchiveError, isArchiveError } from './archive-errors.js';
import type { BlobStore } from './blob-store.js';
import { verifyFile } from './checksum.js';

export type Codec = 'null' | 'deflate';
export type FileKind = 'segment' | 'snapshot';

/** Raised by avsc when a value does not fit the schema. */
const KIND_KEY = 'rewind.kind';
const FORMAT_KEY = 'rewind.format';
const FORMAT_VERSION = '1';

export interface ContainerWriterOptions {
  codec?: Codec;
  /** zlib level for deflate: 1 is several times faster than the default 6 and loses little on BSON. */
  deflateLevel?: number;
  /** Uncompressed block size; readers hold about one block per file in memory. */
  blockBytes?: number;
}

export const DEFAULT_CODEC: Codec = 'deflate';
const DEFAULT_BLOCK_BYTES = 256 * 1024;
const DEFAULT_DEFLATE_LEVEL = 1;

/** Streams records into one container file of a BlobStore; the file appears atomically on finish. */
export class ContainerWriter<T> {
  readonly path: string;
  private readonly encoder: avro.streams.BlockEncoder;
  private readonly done: Promise<FileRef>;
  private failure: Error | null = null;
  private bytes = 0;
  private count = 0;
  private state: 'open' | 'finishing' | 'closed' = 'open';

  constructor(store: BlobStore, path: string, type: avro.Type, kind: FileKind, options: ContainerWriterOptions = {}) {
    this.path = path;
    const level = options.deflateLevel ?? DEFAULT_DEFLATE_LEVEL;
    const encoderOptions = {
      codec: options.codec ?? DEFAULT_CODEC,
      blockSize: options.blockBytes ?? DEFAULT_BLOCK_BYTES,
      // Raw deflate (no zlib header), as the Avro spec requires for "deflate".
      codecs: {
        null: (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => cb(null, buf),
        deflate: (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => deflateRaw(buf, { level }, cb),
      },
      metadata: { [KIND_KEY]: Buffer.from(kind), [FORMAT_KEY]: Buffer.from(FORMAT_VERSION) },
      writeHeader: 'always' as const,
    };
    this.encoder = new avro.streams.BlockEncoder(type, encoderOptions);
    this.encoder.on('typeError', (err: unknown) => {
      this.failure ??= new ArchiveError('ARCHIVE_ENCODE_FAILED', { path, detail: String((err as Error).message) }, { cause: err });
    });
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.bytes += chunk.length;
        cb(null, chunk);
      },
    });
    this.encoder.on('error', (err) => counter.destroy(err));
    // The store may not be reading yet when the encoder fails; the failure reaches us through `done`.
    counter.on('error', () => undefined);
    this.encoder.pipe(counter);
    this.done = store.put(path, counter);
    this.done.catch((err: unknown) => {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
    });
  }

  /** Bytes already handed to the store (the block being filled is not counted yet). */
  get bytesWritten(): number {
    return this.bytes;
  }

  get recordCount(): number {
    return this.count;
  }

  async write(record: T): Promise<void> {
    this.checkOpen();
    const more = this.encoder.write(record);
    this.throwIfFailed();
    this.count++;
    if (!more) {
      await new Promise<void>((resolve) => {
        const settle = () => {
          this.encoder.off('drain', settle);
          this.encoder.off('close', settle);
          resolve();
        };
        this.encoder.on('drain', settle);
        this.encoder.on('close', settle);
      });
      this.throwIfFailed();
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  async finish(): Promise<FileRef> {
    this.checkOpen();
    this.state = 'finishing';
    try {
      this.encoder.end();
      const ref = await this.done;
      this.throwIfFailed();
      return ref;
    } finally {
      this.state = 'closed';
    }
  }

  /** Drops the file being written; nothing appears in the store. */
  async abort(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.encoder.destroy(new Error('aborted'));
    await this.done.catch(() => undefined);
  }

  private checkOpen(): void {
    if (this.failure) {
      this.state = 'closed';
      throw this.failure;
    }
    if (this.state !== 'open') throw new ArchiveError('ARCHIVE_WRITER_CLOSED', { path: this.path });
  }
}

interface HeaderInfo {
  meta: Record<string, Buffer>;
}

/**
 * Reads a container file's records. The file is verified first (length and
 * sha256, streamed), so a damaged file yields nothing; the decoding pass then
 * streams block by block. `readerType` resolves the file's own writer schema.
 */
export async function* readContainer<T>(
  store: BlobStore,
  ref: FileRef,
  readerType: avro.Type,
  kind: FileKind,
): AsyncGenerator<T, void, undefined> {
  await verifyFile(store, ref);
  const location = store.locate(ref.path);
  const decodeFailed = (detail: string, cause?: unknown) =>
    new ArchiveError('ARCHIVE_DECODE_FAILED', { path: ref.path, location, detail }, { cause });

  const source: Readable = await store.openRead(ref.path);
  const decoder = new avro.streams.BlockDecoder({ readerSchema: readerType });
  const header: { error: ArchiveError | null } = { error: null };
  decoder.on('metadata', (_type: unknown, _codec: unknown, info: HeaderInfo) => {
    const found = info.meta[KIND_KEY]?.toString();
    if (found !== kind) {
      header.error = decodeFailed(`expected a ${kind} file, the header says ${found ?? 'nothing'}`);
      decoder.destroy(header.error);
    }
  });
  let bytesRead = 0;
  source.on('data', (chunk: Buffer) => {
    bytesRead += chunk.length;
  });
  source.on('error', (err) => decoder.destroy(err));
  source.pipe(decoder);
  try {
    for await (const record of decoder as AsyncIterable<T>) yield record;
  } catch (err) {
    if (header.error) throw header.error;
    if (isArchiveError(err)) throw err;
    throw decodeFailed(err instanceof Error ? err.message : String(err), err);
  } finally {
    source.destroy();
    decoder.destroy();
  }
  // The bytes were verified a moment ago; a different length now means the file was replaced meanwhile.
  if (bytesRead !== ref.bytes) {
    throw new ArchiveError('ARCHIVE_LENGTH_MISMATCH', {
      path: ref.path,
      location,
      expectedBytes: ref.bytes,
      actualBytes: bytesRead,
    });
  }
}

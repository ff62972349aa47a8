/**
 * Avro's `zstandard` codec: each block is one Zstandard frame. Node 20's zlib
 * has no zstd, and the native packages do not install here from the registry
 * alone (@mongodb-js/zstd 7 downloads a prebuilt binary at install time;
 * zstd-napi compiles from source and needs the Node headers), so this uses
 * @bokuweb/zstd-wasm: zstd compiled to WebAssembly and shipped inside the
 * package. It runs on the calling thread (deflate runs on libuv's pool), so
 * its speed is measured against deflate in bench/archive.ts.
 */
import { compress, decompress, init } from '@bokuweb/zstd-wasm';
import { ArchiveError } from './archive-errors.js';

/** zstd level 1: already smaller than deflate level 1 on BSON, and the fastest (bench/archive.ts). */
export const DEFAULT_ZSTD_LEVEL = 1;
/** Output room for a frame that does not state its size (other writers' streaming frames). */
const UNKNOWN_SIZE_ROOM = 16 * 1024 * 1024;

let ready: Promise<void> | null = null;

/** Loads the wasm module once per process. */
export function zstdReady(): Promise<void> {
  ready ??= init().catch((err: unknown) => {
    ready = null;
    throw new ArchiveError('ARCHIVE_CODEC_UNAVAILABLE', { codec: 'zstandard', detail: `the zstd wasm module did not load: ${(err as Error).message}` }, { cause: err });
  });
  return ready;
}

export async function zstdCompress(raw: Buffer, level = DEFAULT_ZSTD_LEVEL): Promise<Buffer> {
  await zstdReady();
  const out = compress(raw, level);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

export async function zstdDecompress(frame: Buffer): Promise<Buffer> {
  await zstdReady();
  const out = decompress(frame, { defaultHeapSize: UNKNOWN_SIZE_ROOM });
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

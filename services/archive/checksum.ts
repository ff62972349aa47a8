/**
 * Verifies a stored file against its catalog reference (length and sha256)
 * by streaming it once: memory stays flat whatever the file size. Readers
 * call this before decoding, so a damaged file yields nothing at all.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FileRef } from '../../contracts/index.js';
import { ArchiveError, isArchiveError } from './archive-errors.js';
import type { BlobStore } from './blob-store.js';

/** `onStart` sees the file's first chunk (verify-archive checks encrypted files for their key envelopes). */
export async function verifyFile(store: BlobStore, ref: FileRef, onStart?: (first: Buffer) => void): Promise<void> {
  const location = store.locate(ref.path);
  const stream = await store.openRead(ref.path);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (bytes === 0) onStart?.(chunk);
      hash.update(chunk);
      bytes += chunk.length;
      // Stop early on a file that grew: no need to hash the rest.
      if (bytes > ref.bytes) break;
    }
  } catch (err) {
    if (isArchiveError(err)) throw err;
    throw new ArchiveError('ARCHIVE_IO_FAILED', { path: ref.path, location, operation: 'read' }, { cause: err });
  } finally {
    stream.destroy();
  }
  if (bytes < ref.bytes) {
    throw new ArchiveError('ARCHIVE_TRUNCATED', { path: ref.path, location, expectedBytes: ref.bytes, actualBytes: bytes });
  }
  if (bytes > ref.bytes) {
    const actualBytes = (await store.stat(ref.path))?.bytes ?? bytes;
    throw new ArchiveError('ARCHIVE_LENGTH_MISMATCH', { path: ref.path, location, expectedBytes: ref.bytes, actualBytes });
  }
  const actual = hash.digest('hex');
  if (actual !== ref.sha256) {
    throw new ArchiveError('ARCHIVE_CHECKSUM_MISMATCH', { path: ref.path, location, expected: ref.sha256, actual });
  }
}

/** A read stream of `ref`'s bytes that starts only once they are verified. */
export async function openVerified(store: BlobStore, ref: FileRef): Promise<Readable> {
  if (store.openVerified) return store.openVerified(ref);
  await verifyFile(store, ref);
  return store.openRead(ref.path);
}

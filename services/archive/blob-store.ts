/**
 * Where archive files live: a local folder (fs-blob-store.ts) or a prefix of
 * an S3-compatible bucket (s3-blob-store.ts), with one contract: whole-object
 * atomic puts that report their sha256, streaming reads, listing by prefix.
 */
import type { Readable } from 'node:stream';
import type { FileRef } from '../../contracts/index.js';
import { ArchiveError } from './archive-errors.js';

export type BlobSource = Readable | AsyncIterable<Uint8Array> | Uint8Array;

export interface BlobStat {
  bytes: number;
}

export interface BlobStore {
  /** Where a relative path really is (a file path or URL), for messages. */
  locate(path: string): string;
  /**
   * Stores the bytes at `path` atomically: readers see the old object or the
   * whole new one, never a part. Resolves once the bytes are durable.
   */
  put(path: string, source: BlobSource): Promise<FileRef>;
  /** Opens a read stream; ARCHIVE_FILE_MISSING when there is no such object. */
  openRead(path: string): Promise<Readable>;
  /**
   * The bytes of `ref.path` after checking them against `ref` (length and
   * sha256), for stores where reading twice costs a second download; without
   * it, readers verify with one pass and read with another (checksum.ts).
   */
  openVerified?(ref: FileRef): Promise<Readable>;
  /** null when there is no such object. */
  stat(path: string): Promise<BlobStat | null>;
  exists(path: string): Promise<boolean>;
  /** Removes the object; removing a missing object is not an error. */
  delete(path: string): Promise<void>;
  /** Relative paths of the objects under `prefix` (a folder or a name prefix), sorted. */
  list(prefix?: string): Promise<string[]>;
}

/** The whole object at `path`, for small ones (catalog generations, key envelopes, status files). */
export async function readWhole(store: BlobStore, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await store.openRead(path)) as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/**
 * Checks an archive-relative path: forward slashes, no empty, `.` or `..`
 * segments, not absolute, no NUL. Every store validates before touching
 * anything, so a catalog entry can never reach outside the archive.
 */
export function checkArchivePath(path: string): string {
  const bad = (reason: string) => new ArchiveError('ARCHIVE_INVALID_PATH', { path, reason });
  if (typeof path !== 'string' || path.length === 0) throw bad('empty');
  if (path.includes('\0')) throw bad('contains NUL');
  if (path.includes('\\')) throw bad('contains a backslash; use /');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw bad('absolute paths are not allowed');
  for (const part of path.split('/')) {
    if (part === '') throw bad('empty path segment');
    if (part === '.' || part === '..') throw bad(`"${part}" segments are not allowed`);
  }
  return path;
}

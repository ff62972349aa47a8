/**
 * The archive's errors: its codes (each in contracts/errors.ts's catalog,
 * which says whether a retry can help: a corrupt file stays corrupt, a busy
 * lock or a flaky disk may not), the typed context of each code that names
 * the file, and the message each code words from its context.
 */
import { RewindError } from '../../contracts/errors.js';
import { isRetryableIo } from './io-errors.js';

/** Context carried by each code; `path` is relative to the archive root, `location` is where it really is. */
export interface ArchiveErrorContexts {
  ARCHIVE_CHECKSUM_MISMATCH: { path: string; location: string; expected: string; actual: string };
  ARCHIVE_TRUNCATED: { path: string; location: string; expectedBytes: number; actualBytes: number };
  ARCHIVE_LENGTH_MISMATCH: { path: string; location: string; expectedBytes: number; actualBytes: number };
  ARCHIVE_FILE_MISSING: { path: string; location: string };
  ARCHIVE_DECODE_FAILED: { path: string; location: string; detail: string };
  ARCHIVE_ENCODE_FAILED: { path: string; detail: string };
  ARCHIVE_COUNT_MISMATCH: { path: string; location: string; expected: number; actual: number };
  ARCHIVE_INVALID_PATH: { path: string; reason: string };
  ARCHIVE_IO_FAILED: { path: string; location: string; operation: string };
  ARCHIVE_WRITER_CLOSED: { path: string };
  SEGMENT_OUT_OF_ORDER: { path: string; previous: string; got: string };
  SEGMENT_EMPTY: { path: string };
  SNAPSHOT_OUT_OF_ORDER: { path: string; ns: string; duplicate: boolean };
  CATALOG_NOT_FOUND: { path: string; location: string };
  CATALOG_INVALID: { path: string; location: string; field: string; detail: string };
  CATALOG_CHECKSUM_MISMATCH: { path: string; location: string; generation: number; expected: string | null; actual: string; sums: string };
  CATALOG_CONFLICT: { path: string; location: string; detail: string };
  CATALOG_LOCKED: { path: string; location: string; holderPid: number; holderHost: string; detail?: string };
  CATALOG_LEASE_LOST: { path: string; location: string; detail: string };
  ARCHIVE_LOCATION_INVALID: { location: string; reason: string };
  ARCHIVE_ACCESS_DENIED: { location: string; operation: string };
  ARCHIVE_CREDENTIALS_MISSING: { location: string; detail: string };
  ARCHIVE_BUCKET_MISSING: { location: string; bucket: string };
  ARCHIVE_KEY_MISSING: { path: string; location: string; keyIds: string };
  ARCHIVE_KEY_WRONG: { path: string; location: string; keyId: string };
  ARCHIVE_KEY_INVALID: { keyId: string; source: string; detail: string };
  ARCHIVE_DECRYPT_FAILED: { path: string; location: string; detail: string };
  ARCHIVE_CODEC_UNAVAILABLE: { codec: string; detail: string };
}

export type ArchiveErrorCode = keyof ArchiveErrorContexts;

const MESSAGES: { [C in ArchiveErrorCode]: (ctx: ArchiveErrorContexts[C]) => string } = {
  ARCHIVE_CHECKSUM_MISMATCH: (c) => `${c.location}: sha256 is ${c.actual}, the catalog says ${c.expected}; the file is corrupt`,
  ARCHIVE_TRUNCATED: (c) => `${c.location}: ${c.actualBytes} bytes, the catalog says ${c.expectedBytes}; the file is truncated`,
  ARCHIVE_LENGTH_MISMATCH: (c) => `${c.location}: ${c.actualBytes} bytes, the catalog says ${c.expectedBytes}; the file was changed`,
  ARCHIVE_FILE_MISSING: (c) => `${c.location}: the file is missing`,
  ARCHIVE_DECODE_FAILED: (c) => `${c.location}: cannot decode: ${c.detail}`,
  ARCHIVE_ENCODE_FAILED: (c) => `${c.path}: cannot encode a record: ${c.detail}`,
  ARCHIVE_COUNT_MISMATCH: (c) => `${c.location}: holds ${c.actual} records, the catalog says ${c.expected}`,
  ARCHIVE_INVALID_PATH: (c) => `invalid archive path ${JSON.stringify(c.path)}: ${c.reason}`,
  ARCHIVE_IO_FAILED: (c) => `${c.location}: ${c.operation} failed`,
  ARCHIVE_WRITER_CLOSED: (c) => `${c.path}: the writer is already finished or failed`,
  SEGMENT_OUT_OF_ORDER: (c) => `${c.path}: event at ${c.got} is not after the previous event at ${c.previous}`,
  SEGMENT_EMPTY: (c) => `${c.path}: a segment needs at least one event`,
  SNAPSHOT_OUT_OF_ORDER: (c) =>
    `${c.path}: ${c.duplicate ? 'duplicate document key' : 'document key out of order'} in namespace ${c.ns}`,
  CATALOG_NOT_FOUND: (c) => `${c.location}: no catalog (initialize the archive first)`,
  CATALOG_INVALID: (c) => `${c.location}: invalid catalog at ${c.field || '(root)'}: ${c.detail}`,
  CATALOG_CHECKSUM_MISMATCH: (c) =>
    c.expected === null
      ? `${c.location}: generation ${c.generation} has no checksum in ${c.sums}; the catalog was changed outside rewind and is refused`
      : `${c.location}: sha256 is ${c.actual}, ${c.sums} says ${c.expected} for generation ${c.generation}; the catalog was changed outside rewind and is refused (catalog.prev.json holds the generation before)`,
  CATALOG_CONFLICT: (c) => `${c.location}: ${c.detail}`,
  CATALOG_LOCKED: (c) => `${c.location}: another writer holds the catalog (pid ${c.holderPid} on ${c.holderHost})${c.detail ? `; ${c.detail}` : ''}`,
  CATALOG_LEASE_LOST: (c) => `${c.location}: this process no longer holds the catalog's writer lease (${c.detail}); restart it`,
  ARCHIVE_LOCATION_INVALID: (c) => `archive ${JSON.stringify(c.location)}: ${c.reason}`,
  ARCHIVE_ACCESS_DENIED: (c) => `${c.location}: ${c.operation} was denied; check the credentials' permissions on the bucket and prefix`,
  ARCHIVE_CREDENTIALS_MISSING: (c) =>
    `${c.location}: no credentials (${c.detail}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where an instance or container role is available`,
  ARCHIVE_BUCKET_MISSING: (c) => `${c.location}: bucket ${JSON.stringify(c.bucket)} does not exist (create it first; rewind never creates buckets)`,
  ARCHIVE_KEY_MISSING: (c) => `${c.location}: encrypted with master key ${c.keyIds}, which is not loaded; add it to the keyring (REWIND_ENCRYPTION_KEYS or archive.encryption.keys)`,
  ARCHIVE_KEY_WRONG: (c) => `${c.location}: master key ${JSON.stringify(c.keyId)} does not open this file's data key; the key loaded under that id is a different key`,
  ARCHIVE_KEY_INVALID: (c) => `master key ${JSON.stringify(c.keyId)} from ${c.source}: ${c.detail}`,
  ARCHIVE_DECRYPT_FAILED: (c) => `${c.location}: refused: ${c.detail} (the file was altered or damaged)`,
  ARCHIVE_CODEC_UNAVAILABLE: (c) => `codec ${c.codec} is not available: ${c.detail}`,
};

/** The archive's codes, for the tests and the reference that walk every code. */
export const ARCHIVE_CODES = Object.keys(MESSAGES) as ArchiveErrorCode[];

export class ArchiveError<C extends ArchiveErrorCode = ArchiveErrorCode> extends RewindError<C, ArchiveErrorContexts[C]> {
  /** `retryable` overrides the code's default where the case decides it (a lock on another host, an I/O error's errno). */
  constructor(code: C, context: ArchiveErrorContexts[C], options?: { cause?: unknown; retryable?: boolean }) {
    const message = (MESSAGES[code] as (ctx: ArchiveErrorContexts[C]) => string)(context);
    const causeText = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    // An I/O failure is retryable by its errno: a full disk may be freed, a path that is not a folder stays one.
    const retryable = options?.retryable ?? (code === 'ARCHIVE_IO_FAILED' && options?.cause !== undefined ? isRetryableIo(options.cause) : undefined);
    super(code, `${message}${causeText}`, { context, cause: options?.cause, ...(retryable === undefined ? {} : { retryable }) });
    this.name = 'ArchiveError';
  }
}

export function isArchiveError<C extends ArchiveErrorCode>(err: unknown, code?: C): err is ArchiveError<C> {
  return err instanceof ArchiveError && (code === undefined || err.code === code);
}

/**
 * The restore room's codes: every refusal and failure of restore, diff and
 * history that is restore's own (errors of the archive and the replay engine
 * reach the caller with their own code, see translate-errors.ts).
 * contracts/errors.ts's catalog says whether retrying the same call can help,
 * what the HTTP API answers and what the CLI exits with.
 */
import { RewindError } from '../../contracts/errors.js';
import type { ErrorCode, ErrorContext } from '../../contracts/errors.js';
import { errnoOf, isRetryableIo } from '../archive/io-errors.js';

export const RESTORE_CODES = [
  /** A namespace pattern or `--ns` matched nothing the archive knows at T. */
  'UNKNOWN_NAMESPACE',
  /** The target is before the earliest snapshot, or the archive holds no snapshot yet. */
  'OUTSIDE_WINDOW',
  /** The target falls inside recorded lost history. */
  'IN_GAP',
  /** `--before-event` names an event the archive does not hold. */
  'UNKNOWN_EVENT',
  /** `--at-snapshot` names no snapshot of the archive. */
  'UNKNOWN_SNAPSHOT',
  /** A time or position that cannot be parsed. */
  'BAD_POSITION',
  /** A `--filter` that is not JSON or not a query document. */
  'BAD_FILTER',
  /** A `--filter` operator this evaluator does not implement (refused, never ignored). */
  'UNSUPPORTED_FILTER_OPERATOR',
  /** No `--id` key exists in the namespace at T (a typo never becomes an empty restore). */
  'UNKNOWN_KEY',
  /** A `--id` that is not Extended JSON, or a malformed `--keys-from` report. */
  'BAD_KEY',
  'BAD_REPORT',
  /** Options that contradict each other (e.g. `--id` with two namespaces). */
  'BAD_OPTIONS',
  /** into-empty found documents in a target collection. */
  'TARGET_NOT_EMPTY',
  /** Writing into the source itself needs `--yes-overwrite-source`. */
  'CONFIRMATION_REQUIRED',
  /** An archive file is unreadable in a way no archive code names. */
  'ARCHIVE_UNREADABLE',
  /** The archive's events cannot be replayed onto its own state (a bug or a damaged archive). */
  'ARCHIVE_INCONSISTENT',
  /** Temporary run files of the fold could not be written or read. */
  'TEMP_IO',
  /** A job state file exists for this id with different parameters. */
  'JOB_MISMATCH',
  /** An output file (`diff --out`) cannot be written. */
  'OUTPUT_IO',
  /** The job state file cannot be read or written. */
  'JOB_STATE_IO',
  /** The target server refused or failed a write or a read. */
  'TARGET_FAILED',
  /** The job was stopped by its caller (an AbortSignal) before it finished; the same request continues or repeats it. */
  'ABORTED',
] as const satisfies readonly ErrorCode[];

export type RestoreErrorCode = (typeof RESTORE_CODES)[number];

const LOCAL_IO: ReadonlySet<RestoreErrorCode> = new Set(['TEMP_IO', 'JOB_STATE_IO', 'OUTPUT_IO']);

export class RestoreError extends RewindError<RestoreErrorCode> {
  constructor(code: RestoreErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext; retryable?: boolean; hint?: string } = {}) {
    // Local file failures are retryable by their errno: ENOSPC may clear, ENOTDIR or ENAMETOOLONG never do.
    const local = LOCAL_IO.has(code) && options.cause !== undefined && errnoOf(options.cause) !== undefined;
    super(code, message, { ...options, ...(options.retryable === undefined && local ? { retryable: isRetryableIo(options.cause) } : {}) });
    this.name = 'RestoreError';
  }
}

export function isRestoreError(err: unknown): err is RestoreError {
  return err instanceof RestoreError;
}

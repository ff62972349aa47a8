/**
 * The restore room's error catalog: every refusal and failure of restore, diff
 * and history has a stable code, says whether retrying the same call can help,
 * and keeps its cause. The CLI prints `code: message` and exits non-zero.
 */
import { errnoOf, isRetryableIo } from '../archive/index.js';

export const RESTORE_ERRORS = {
  /** A namespace pattern or `--ns` matched nothing the archive knows at T. */
  UNKNOWN_NAMESPACE: { retryable: false },
  /** The target is before the earliest snapshot or after the durable position. */
  OUTSIDE_WINDOW: { retryable: false },
  /** The target falls inside recorded lost history. */
  IN_GAP: { retryable: false },
  /** `--before-event` names an event the archive does not hold. */
  UNKNOWN_EVENT: { retryable: false },
  /** A time or position that cannot be parsed. */
  BAD_POSITION: { retryable: false },
  /** A `--filter` that is not JSON or not a query document. */
  BAD_FILTER: { retryable: false },
  /** A `--filter` operator this evaluator does not implement (refused, never ignored). */
  UNSUPPORTED_FILTER_OPERATOR: { retryable: false },
  /** No `--id` key exists in the namespace at T (a typo never becomes an empty restore). */
  UNKNOWN_KEY: { retryable: false },
  /** A `--id` that is not Extended JSON, or a malformed `--keys-from` report. */
  BAD_KEY: { retryable: false },
  BAD_REPORT: { retryable: false },
  /** Options that contradict each other (e.g. `--id` with two namespaces). */
  BAD_OPTIONS: { retryable: false },
  /** into-empty found documents in a target collection. */
  TARGET_NOT_EMPTY: { retryable: false },
  /** Writing into the source itself needs `--yes-overwrite-source`. */
  CONFIRMATION_REQUIRED: { retryable: false },
  /** An archive file is missing, unreadable or fails its checksum. */
  ARCHIVE_UNREADABLE: { retryable: false },
  /** The archive's events cannot be replayed onto its own state (a bug or a damaged archive). */
  ARCHIVE_INCONSISTENT: { retryable: false },
  /** Temporary run files of the fold could not be written or read. */
  TEMP_IO: { retryable: true },
  /** A job state file exists for this id with different parameters. */
  JOB_MISMATCH: { retryable: false },
  /** An output file (`diff --out`) cannot be written. */
  OUTPUT_IO: { retryable: true },
  /** The job state file cannot be read or written. */
  JOB_STATE_IO: { retryable: true },
  /** The target server refused or failed a write or a read. */
  TARGET_FAILED: { retryable: true },
  /** The job was stopped by its caller (an AbortSignal) before it finished; the same request continues or repeats it. */
  ABORTED: { retryable: true },
} as const satisfies Record<string, { retryable: boolean }>;

export type RestoreErrorCode = keyof typeof RESTORE_ERRORS;

export class RestoreError extends Error {
  readonly code: RestoreErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: RestoreErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown>; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RestoreError';
    this.code = code;
    // Local file failures are retryable by their errno: ENOSPC may clear, ENOTDIR or ENAMETOOLONG never do.
    const local = (code === 'TEMP_IO' || code === 'JOB_STATE_IO' || code === 'OUTPUT_IO') && options.cause !== undefined && errnoOf(options.cause) !== undefined;
    this.retryable = options.retryable ?? (local ? isRetryableIo(options.cause) : RESTORE_ERRORS[code].retryable);
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  toJSON(): Record<string, unknown> {
    const cause = this.cause instanceof Error ? `${this.cause.name}: ${this.cause.message}` : this.cause;
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details, ...(cause === undefined ? {} : { cause }) };
  }
}

export function isRestoreError(err: unknown): err is RestoreError {
  return err instanceof RestoreError;
}

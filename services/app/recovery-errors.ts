/**
 * Errors of the recovery jobs (scan, backup), in the shape of the coming
 * error family (contracts/errors.ts RewindError: a stable UPPER_SNAKE code, a
 * message that says what to do, typed context, cause, retryable, httpStatus
 * and exitCode), so moving them there is mechanical once it lands.
 */
export const RECOVERY_ERRORS = {
  /** A request field is wrong (a bad name, a path that is not a folder…): found before anything was read. */
  BAD_OPTIONS: { retryable: false, httpStatus: 400, exitCode: 2 },
  /** Another process (a running capture) holds the archive's writer lock. */
  ARCHIVE_BUSY: { retryable: true, httpStatus: 409, exitCode: 1 },
  /** The archive has nothing to make a snapshot from (no base snapshot or no durable point yet). */
  NOTHING_TO_SNAPSHOT: { retryable: false, httpStatus: 409, exitCode: 1 },
  /** An open gap: the history after it is lost until capture takes a new initial copy. */
  ARCHIVE_HAS_OPEN_GAP: { retryable: false, httpStatus: 409, exitCode: 1 },
  /** `--name` is already a snapshot's name. */
  SNAPSHOT_NAME_TAKEN: { retryable: false, httpStatus: 409, exitCode: 1 },
  /** A report or key file could not be written. */
  OUTPUT_IO: { retryable: true, httpStatus: 500, exitCode: 1 },
  /** The job was stopped through its AbortSignal before it finished; nothing was committed. */
  ABORTED: { retryable: true, httpStatus: 499, exitCode: 1 },
} as const satisfies Record<string, { retryable: boolean; httpStatus: number; exitCode: number }>;

export type RecoveryErrorCode = keyof typeof RECOVERY_ERRORS;

export class RecoveryError extends Error {
  readonly code: RecoveryErrorCode;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly exitCode: number;
  readonly hint: string | undefined;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: RecoveryErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown>; hint?: string; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RecoveryError';
    this.code = code;
    this.retryable = options.retryable ?? RECOVERY_ERRORS[code].retryable;
    this.httpStatus = RECOVERY_ERRORS[code].httpStatus;
    this.exitCode = RECOVERY_ERRORS[code].exitCode;
    this.hint = options.hint;
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }

  toJSON(): Record<string, unknown> {
    const cause = this.cause instanceof Error ? `${this.cause.name}: ${this.cause.message}` : this.cause;
    return { code: this.code, message: this.message, retryable: this.retryable, ...(this.hint ? { hint: this.hint } : {}), context: this.context, ...(cause === undefined ? {} : { cause }) };
  }
}

/** Throws ABORTED when the signal fired (checked between steps: no step is left half done). */
export function throwIfAborted(signal: AbortSignal | undefined, job: string): void {
  if (signal?.aborted) throw new RecoveryError('ABORTED', `${job} was stopped before it finished; nothing was committed: run it again`, { cause: signal.reason });
}

/**
 * The replay engine's error catalog. Every refusal has a stable code that
 * callers branch on (never the message), says whether retrying can help (the
 * engine is pure: the same input fails the same way, so almost never), keeps
 * its cause, and carries the details that name the event, gap or window.
 */

export const REPLAY_ERRORS = {
  /** An update or delete met a document whose prior state is unknown: history is missing. */
  REPLAY_GAP: { retryable: false },
  /** An event cannot be applied to the state it meets (e.g. a dotted path through a scalar). */
  REPLAY_INCONSISTENT: { retryable: false },
  /** An event lacks a field its operation needs, or carries one that cannot be read. */
  REPLAY_MALFORMED_EVENT: { retryable: false },
  /** Two different events claim one position, or events go backwards without being duplicates. */
  REPLAY_ORDER_CONFLICT: { retryable: false },
  /** A temporary run of the compaction could not be written or read. */
  REPLAY_RUN_IO: { retryable: true },
  /** The restore target lies before the restorable window. */
  PLAN_BEFORE_WINDOW: { retryable: false },
  /** The restore target lies past the latest durable position (it may become restorable later). */
  PLAN_PAST_DURABLE: { retryable: true },
  /** The restore target falls inside recorded lost history. */
  PLAN_IN_GAP: { retryable: false },
  /** The catalog has no snapshot, or the segments after the chosen snapshot do not reach the target. */
  PLAN_NO_COVERAGE: { retryable: false },
  /** A beforeEvent target whose position is unknown: resolve it by scanning the listed segments first. */
  PLAN_EVENT_UNRESOLVED: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type ReplayErrorCode = keyof typeof REPLAY_ERRORS;

export class ReplayError extends Error {
  readonly code: ReplayErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ReplayErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReplayError';
    this.code = code;
    this.retryable = REPLAY_ERRORS[code].retryable;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

export function isReplayError(e: unknown, code?: ReplayErrorCode): e is ReplayError {
  return e instanceof ReplayError && (code === undefined || e.code === code);
}

/**
 * The replay engine's codes. Every refusal has a stable code that callers
 * branch on (never the message); contracts/errors.ts's catalog says whether
 * retrying can help (the engine is pure: the same input fails the same way,
 * so almost never). Each error keeps its cause and carries, as its context,
 * the details that name the event, gap or window.
 */
import { RewindError } from '../../contracts/errors.js';
import type { ErrorCode, ErrorContext } from '../../contracts/errors.js';
import { errnoOf, isRetryableIo } from '../../contracts/io-errors.js';

export const REPLAY_CODES = [
  /** An update or delete met a document whose prior state is unknown: history is missing. */
  'REPLAY_GAP',
  /** An event cannot be applied to the state it meets (e.g. a dotted path through a scalar). */
  'REPLAY_INCONSISTENT',
  /** An event lacks a field its operation needs, or carries one that cannot be read. */
  'REPLAY_MALFORMED_EVENT',
  /** Two different events claim one position, or events go backwards without being duplicates. */
  'REPLAY_ORDER_CONFLICT',
  /** A temporary run of the compaction could not be written or read. */
  'REPLAY_RUN_IO',
  /** The restore target lies before the restorable window. */
  'PLAN_BEFORE_WINDOW',
  /** The restore target lies past the latest durable position (it may become restorable later). */
  'PLAN_PAST_DURABLE',
  /** The restore target falls inside recorded lost history. */
  'PLAN_IN_GAP',
  /** The catalog has no snapshot, or the segments after the chosen snapshot do not reach the target. */
  'PLAN_NO_COVERAGE',
  /** A beforeEvent target whose position is unknown: resolve it by scanning the listed segments first. */
  'PLAN_EVENT_UNRESOLVED',
] as const satisfies readonly ErrorCode[];

export type ReplayErrorCode = (typeof REPLAY_CODES)[number];

export class ReplayError extends RewindError<ReplayErrorCode> {
  constructor(code: ReplayErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    // A run file's failure is retryable by its errno: ENOSPC may clear, ENOTDIR never does.
    const io = code === 'REPLAY_RUN_IO' && options.cause !== undefined && errnoOf(options.cause) !== undefined;
    super(code, message, { ...options, ...(io ? { retryable: isRetryableIo(options.cause) } : {}) });
    this.name = 'ReplayError';
  }
}

export function isReplayError(e: unknown, code?: ReplayErrorCode): e is ReplayError {
  return e instanceof ReplayError && (code === undefined || e.code === code);
}

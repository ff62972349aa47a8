/**
 * What restore, diff and history throw: their own RestoreErrors, and every
 * other room's error with its own code and retryable flag (an archive file's
 * ARCHIVE_CHECKSUM_MISMATCH, a busy CATALOG_LOCKED, PLAN_PAST_DURABLE), never
 * folded into a vaguer code. Replay's refusals that mean what a restore code
 * says are given that code, kept as the cause and named in the context
 * (`replayCode`), only where both codes agree on whether a retry can help (a
 * test checks every pair). A driver error becomes TARGET_FAILED.
 */
import { MongoError } from 'mongodb';
import { RewindError } from '../../contracts/errors.js';
import { ReplayError } from '../replay/errors.js';
import type { ReplayErrorCode } from '../replay/errors.js';
import { RestoreError } from './errors.js';
import type { RestoreErrorCode } from './errors.js';

/** Replay codes restore words in its own terms; the others (PLAN_PAST_DURABLE: retryable) pass as they are. */
export const FROM_REPLAY: Partial<Record<ReplayErrorCode, RestoreErrorCode>> = {
  REPLAY_GAP: 'IN_GAP',
  REPLAY_INCONSISTENT: 'ARCHIVE_INCONSISTENT',
  REPLAY_MALFORMED_EVENT: 'ARCHIVE_INCONSISTENT',
  REPLAY_ORDER_CONFLICT: 'ARCHIVE_INCONSISTENT',
  REPLAY_RUN_IO: 'TEMP_IO',
  PLAN_BEFORE_WINDOW: 'OUTSIDE_WINDOW',
  PLAN_IN_GAP: 'IN_GAP',
  PLAN_NO_COVERAGE: 'IN_GAP',
  PLAN_EVENT_UNRESOLVED: 'UNKNOWN_EVENT',
};

export function toRestoreError(err: unknown): unknown {
  if (err instanceof ReplayError) {
    const code = FROM_REPLAY[err.code];
    if (code === undefined) return err;
    return new RestoreError(code, err.message, { cause: err, context: { replayCode: err.code, ...err.context }, retryable: err.retryable });
  }
  if (err instanceof RewindError) return err;
  if (err instanceof MongoError) return new RestoreError('TARGET_FAILED', err.message, { cause: err });
  return err;
}

/** Runs fn and rethrows whatever it throws as toRestoreError says. */
export async function translated<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toRestoreError(err);
  }
}

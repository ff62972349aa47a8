/**
 * Restore speaks one error catalog: failures of the archive (files named by
 * their location), of the replay planner (windows and gaps named) and of
 * position parsing are translated into RestoreErrors, keeping the original as
 * the cause and its code in the details.
 */
import { PositionFormatError } from '../../contracts/index.js';
import { ArchiveError } from '../archive/index.js';
import { ReplayError } from '../replay/errors.js';
import type { ReplayErrorCode } from '../replay/errors.js';
import { RestoreError } from './errors.js';
import type { RestoreErrorCode } from './errors.js';

const FROM_REPLAY: Record<ReplayErrorCode, RestoreErrorCode> = {
  REPLAY_GAP: 'IN_GAP',
  REPLAY_INCONSISTENT: 'ARCHIVE_INCONSISTENT',
  REPLAY_MALFORMED_EVENT: 'ARCHIVE_INCONSISTENT',
  REPLAY_ORDER_CONFLICT: 'ARCHIVE_INCONSISTENT',
  REPLAY_RUN_IO: 'TEMP_IO',
  PLAN_BEFORE_WINDOW: 'OUTSIDE_WINDOW',
  PLAN_PAST_DURABLE: 'OUTSIDE_WINDOW',
  PLAN_IN_GAP: 'IN_GAP',
  PLAN_NO_COVERAGE: 'IN_GAP',
  PLAN_EVENT_UNRESOLVED: 'UNKNOWN_EVENT',
};

const strip = (message: string, code: string) => (message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message);

export function toRestoreError(err: unknown): unknown {
  if (err instanceof RestoreError) return err;
  if (err instanceof ArchiveError) {
    const archiveError = err as ArchiveError;
    const code: string = archiveError.code;
    return new RestoreError('ARCHIVE_UNREADABLE', strip(err.message, code), { cause: err, details: { archiveCode: code, ...archiveError.context } });
  }
  if (err instanceof ReplayError) {
    return new RestoreError(FROM_REPLAY[err.code], strip(err.message, err.code), { cause: err, details: { replayCode: err.code, ...err.details } });
  }
  if (err instanceof PositionFormatError) return new RestoreError('BAD_POSITION', err.message, { cause: err });
  return err;
}

/** Runs fn and rethrows whatever it throws in restore's catalog. */
export async function translated<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toRestoreError(err);
  }
}

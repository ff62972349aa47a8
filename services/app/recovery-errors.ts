/**
 * Errors of the recovery jobs (scan, backup): RewindErrors of the one family
 * (contracts/errors.ts), with the jobs' own codes (ARCHIVE_BUSY,
 * NOTHING_TO_SNAPSHOT, ARCHIVE_HAS_OPEN_GAP, SNAPSHOT_NAME_TAKEN)
 * and the shared BAD_OPTIONS, OUTPUT_IO and ABORTED.
 */
import { RewindError } from '../../contracts/errors.js';
import type { ErrorCode, ErrorContext } from '../../contracts/errors.js';

/** The jobs' own codes (BAD_OPTIONS and OUTPUT_IO are restore's, shared). */
export const RECOVERY_CODES = ['ARCHIVE_BUSY', 'NOTHING_TO_SNAPSHOT', 'ARCHIVE_HAS_OPEN_GAP', 'SNAPSHOT_NAME_TAKEN'] as const satisfies readonly ErrorCode[];

export type RecoveryErrorCode = (typeof RECOVERY_CODES)[number] | 'BAD_OPTIONS' | 'OUTPUT_IO' | 'ABORTED';

export class RecoveryError extends RewindError<RecoveryErrorCode> {
  constructor(code: RecoveryErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext; hint?: string; retryable?: boolean } = {}) {
    super(code, message, options);
    this.name = 'RecoveryError';
  }
}

/** Throws JOB_ABORTED when the signal fired (checked between steps: no step is left half done). */
export function throwIfAborted(signal: AbortSignal | undefined, job: string): void {
  if (signal?.aborted) throw new RecoveryError('ABORTED', `${job} was stopped before it finished; nothing was committed: run it again`, { cause: signal.reason });
}

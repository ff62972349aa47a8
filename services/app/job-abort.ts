/**
 * How the read-and-write jobs (restore, diff, history) honour an AbortSignal:
 * checked before each stage and at every progress report (a restore reports
 * after every durable batch, so an abort stops it at a batch boundary, with
 * its job state saved and resumable). An abort is the restore room's ABORTED
 * error, retryable: running the same request again continues or repeats it.
 */
import { RestoreError } from '../restore/errors.js';

export function checkAborted(signal: AbortSignal | undefined, job: string): void {
  if (signal?.aborted) throw new RestoreError('ABORTED', `the ${job} was stopped before it finished`, { context: { job } });
}

/** `report` wrapped so that each call first checks the signal. */
export function abortingProgress<A extends unknown[]>(signal: AbortSignal | undefined, job: string, report: ((...args: A) => void) | undefined): ((...args: A) => void) | undefined {
  if (!signal && !report) return undefined;
  return (...args: A) => {
    checkAborted(signal, job);
    report?.(...args);
  };
}

/**
 * The diff job: the state the archive says one collection had at a point in
 * time against the live collection: missing, unexpected and diverged
 * documents, optionally written as a report a missing-only restore reads.
 */
import type { PointInTime } from '../../contracts/point-in-time.js';
import { diffFromArchive } from '../restore/diff-from-archive.js';
import type { DiffRequest as RoomRequest } from '../restore/diff-from-archive.js';
import type { DiffReport } from '../restore/diff.js';
import { abortingProgress, checkAborted } from './job-abort.js';
import { restoreTargetOf } from './point-in-time.js';

export interface DiffProgress {
  ns: string;
  /** Documents compared so far. */
  compared: number;
}

export interface DiffRequest extends Omit<RoomRequest, 'target' | 'onProgress'> {
  at: PointInTime;
  signal?: AbortSignal;
  onProgress?: (event: DiffProgress) => void;
}

export type DiffResult = DiffReport;

export async function diff(req: DiffRequest): Promise<DiffResult> {
  checkAborted(req.signal, 'diff');
  const { at, signal, onProgress, ...rest } = req;
  const progress = abortingProgress(signal, 'diff', onProgress ? (compared: number) => onProgress({ ns: req.ns, compared }) : undefined);
  const report = await diffFromArchive({ ...rest, target: restoreTargetOf(at), ...(progress ? { onProgress: progress } : {}) });
  checkAborted(signal, 'diff');
  return report;
}

/**
 * The restore job: the state at a point in time from the archive into a
 * MongoDB, in a scope, in a mode, resumable by job id. Every refusal comes
 * before the first write (services/restore/restore-from-archive.ts).
 */
import type { PointInTime } from '../../contracts/point-in-time.js';
import { restoreFromArchive } from '../restore/restore-from-archive.js';
import type { RestoreProgress, RestoreRequest as RoomRequest } from '../restore/restore-from-archive.js';
import type { RestoreReport } from '../restore/restore-job.js';
import { abortingProgress, checkAborted } from './job-abort.js';
import { restoreTargetOf } from './point-in-time.js';

export type { RestoreProgress } from '../restore/restore-from-archive.js';
export type { RestoreMode } from '../restore/plan-actions.js';
export type { NamespaceMapping } from '../restore/namespace-scope.js';
export type { RequestNames } from '../restore/request-names.js';

export interface RestoreRequest extends Omit<RoomRequest, 'target' | 'onProgress'> {
  at: PointInTime;
  signal?: AbortSignal;
  onProgress?: (event: RestoreProgress) => void;
}

export type RestoreResult = RestoreReport;

export async function restore(req: RestoreRequest): Promise<RestoreResult> {
  checkAborted(req.signal, 'restore');
  const { at, signal, onProgress, ...rest } = req;
  const progress = abortingProgress(signal, 'restore', onProgress);
  return restoreFromArchive({ ...rest, target: restoreTargetOf(at), ...(progress ? { onProgress: progress } : {}) });
}

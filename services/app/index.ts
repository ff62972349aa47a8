/**
 * The application layer: one module per job, each with a typed,
 * transport-neutral request (parsed archive locations, positions, namespace
 * scopes, URIs; never flags), progress through `onProgress`, an AbortSignal
 * and a typed result. The CLI (services/cli) and the HTTP API (services/api)
 * translate their input into these requests and the results back.
 */
export { runUp } from './capture-up.js';
export type { UpRequest } from './capture-up.js';
export { runCollect } from './capture-collect.js';
export type { CollectRequest } from './capture-collect.js';
export { runArchive } from './capture-archive.js';
export type { ArchiveRunRequest } from './capture-archive.js';
export { archiveAccessOf, captureLogger, statusTargetOf } from './capture-parts.js';
export type { CaptureDeps, CaptureEvent, CaptureProcess, CaptureRequest, CaptureResult } from './capture-parts.js';
export { checkCapturePaths } from './capture-paths.js';
export type { CapturePaths } from './capture-paths.js';
export { readCatalog } from './catalog.js';
export type { CatalogRequest, CatalogResult } from './catalog.js';
export { restore } from './restore.js';
export type { NamespaceMapping, RequestNames, RestoreMode, RestoreProgress, RestoreRequest, RestoreResult } from './restore.js';
export { diff } from './diff.js';
export type { DiffProgress, DiffRequest, DiffResult } from './diff.js';
export { history } from './history.js';
export type { DocumentVersion, HistoryRequest, HistoryResult } from './history.js';
export { restoreTargetOf } from './point-in-time.js';
export { pointInTimeSchema } from '../../contracts/point-in-time.js';
export type { PointInTime } from '../../contracts/point-in-time.js';
export type { ArchiveRef } from '../archive/index.js';
export { runScan } from './scan.js';
export type { ScanProgress, ScanRequest } from './scan.js';
export { runBackup } from './backup.js';
export type { BackupRequest } from './backup.js';

/**
 * What the three capture jobs (up, collect, archive) share: the parts a test
 * or benchmark may inject, the logger, the change source of the configured
 * deployment, the archive's access settings and where status files go, and
 * the lifecycle events every job reports.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { UpConfig } from '../../contracts/runtime-config.js';
import type { ArchiveAccess, OpenedArchive } from '../archive/index.js';
import type { ArchiverStatus } from '../archiver/archiver.js';
import { STATUS_DIR } from '../archiver/process-status.js';
import type { StatusTarget } from '../archiver/process-status.js';
import type { CollectorStatus } from '../collector/collector.js';
import { MongoChangeSource } from '../collector/mongo-change-source.js';
import { MongoCopySource } from '../collector/mongo-copy-source.js';
import type { ChangeSource, CopySource } from '../collector/source-port.js';

export type CaptureProcess = 'up' | 'collect' | 'archive';

/** Injected parts: tests and benchmarks drive the same wiring with a recorded source. */
export interface CaptureDeps {
  source?: ChangeSource;
  copySource?: CopySource;
  log?: Logger;
}

/** A capture job's lifecycle, as it happens (the CLI prints each as a line; `--json`: as JSON). */
export type CaptureEvent =
  | { event: 'started'; process: CaptureProcess; sourceId: string; archive?: string; topic?: string; pid: number }
  | { event: 'stopping'; process: CaptureProcess; reason: 'signal' }
  | { event: 'stopped'; process: CaptureProcess; collector?: CollectorStatus; archiver?: ArchiverStatus };

export interface CaptureRequest<Config> extends CaptureDeps {
  /** The frozen, validated configuration (contracts/runtime-config.ts). */
  config: Config;
  /** Aborting drains the job: what was captured is committed, then the job resolves. */
  signal: AbortSignal;
  onProgress?: (event: CaptureEvent) => void;
}

/** The job's final state after a drain. */
export interface CaptureResult {
  process: CaptureProcess;
  collector?: CollectorStatus;
  archiver?: ArchiverStatus;
}

export function captureLogger(process: string, config: { logLevel: string; sourceId: string }): Logger {
  return pino({ level: config.logLevel, base: { process, sourceId: config.sourceId } });
}

/** The change and copy sources of the configured deployment (or the injected ones), and its client to identify it. */
export function mongoParts(config: { mongo: { uri: string; batchSize: number } }, deps: CaptureDeps) {
  const mongo = deps.source ? null : MongoChangeSource.create(config.mongo.uri, { batchSize: config.mongo.batchSize });
  const source = deps.source ?? (mongo as MongoChangeSource);
  const copySource = deps.copySource ?? new MongoCopySource((mongo as MongoChangeSource).client);
  // The real source's client, to ask the deployment what it is (none for an injected source).
  return { source, copySource, client: mongo?.client ?? null };
}

/** The archive's S3 settings and encryption keys, as the config gives them. */
export function archiveAccessOf(archive: UpConfig['archive']): ArchiveAccess {
  return { ...(archive.s3 ? { s3: archive.s3 } : {}), ...(archive.encryption ? { encryption: archive.encryption } : {}) };
}

/** Status files of a folder archive stay local files; an object-store archive gets status objects. */
export function statusTargetOf(archive: OpenedArchive): StatusTarget {
  return archive.location.kind === 'fs' ? join(archive.root, STATUS_DIR) : archive.store;
}

/** Calls `stop` once when `signal` aborts (at once if it already has); returns the unsubscribe. */
export function onAbort(signal: AbortSignal, stop: () => void): () => void {
  if (signal.aborted) {
    stop();
    return () => undefined;
  }
  signal.addEventListener('abort', stop, { once: true });
  return () => signal.removeEventListener('abort', stop);
}

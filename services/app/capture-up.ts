/**
 * The `up` job: collector, embedded event log and archiver in one process,
 * from a frozen config, until the signal aborts; then it drains and commits.
 * The work is in services/collector, services/eventlog and services/archiver.
 */
import type { UpConfig } from '../../contracts/runtime-config.js';
import { openArchiveAt } from '../archive/index.js';
import { Archiver } from '../archiver/archiver.js';
import { startStatusWriter } from '../archiver/process-status.js';
import { Collector } from '../collector/collector.js';
import { announceDeployment } from '../collector/deployment-identity.js';
import { CatalogResumeStore } from '../collector/resume-store.js';
import { EmbeddedLog } from '../eventlog/embedded-log.js';
import { startVerifySchedule } from './verify-schedule.js';
import { archiveAccessOf, captureLogger, mongoParts, onAbort, statusTargetOf } from './capture-parts.js';
import type { CaptureRequest, CaptureResult } from './capture-parts.js';

export type UpRequest = CaptureRequest<UpConfig>;

export async function runUp(req: UpRequest): Promise<CaptureResult> {
  const { config } = req;
  const log = req.log ?? captureLogger('up', config);
  const { source, copySource, client } = mongoParts(config, req);
  const archive = openArchiveAt(config.archive.dir, archiveAccessOf(config.archive));
  const { store, catalog } = archive;
  // Before the collector reads its resume point: an archive of another source is refused here.
  await catalog.init(config.sourceId);
  const eventLog = new EmbeddedLog();
  const collector = new Collector({
    source,
    copySource,
    producer: eventLog.producer,
    resumeStore: new CatalogResumeStore(() => catalog.readIfExists()),
    log,
    scope: { include: config.mongo.include, exclude: config.mongo.exclude },
    pollWaitMs: config.mongo.pollWaitMs,
    copyBatchSize: config.mongo.copyBatchSize,
  });
  const archiver = new Archiver({
    consumer: eventLog.consumer,
    store,
    catalog,
    sourceId: config.sourceId,
    log,
    segmentMaxBytes: config.archive.segmentMaxBytes,
    segmentMaxAgeMs: config.archive.segmentMaxAgeMs,
    codec: config.archive.codec,
    compaction: { ...config.compaction, memoryBytes: config.compactionMemoryBytes },
    retention: config.retention,
    logEnded: () => eventLog.ended,
  });
  const stopStatus = startStatusWriter(statusTargetOf(archive), () => ({
    process: 'up',
    collector: collector.status(),
    archiver: archiver.status(),
  }));
  // Beside the archiver, not inside it: shares only the opened archive (its catalog writer).
  const verifySchedule = startVerifySchedule({ archive, config: config.verify, log });
  const unsubscribe = onAbort(req.signal, () => {
    log.info('stop requested: draining');
    req.onProgress?.({ event: 'stopping', process: 'up', reason: 'signal' });
    void collector.stop();
  });
  try {
    req.onProgress?.({ event: 'started', process: 'up', sourceId: config.sourceId, archive: archive.root, pid: process.pid });
    // First in the log: what the source is, for the catalog (the embedded queue takes it at once).
    if (client) await announceDeployment(client, eventLog.producer, log);
    await Promise.all([
      collector.run().catch(async (err: unknown) => {
        await archiver.stop();
        throw err;
      }),
      archiver.run().catch(async (err: unknown) => {
        await collector.stop();
        throw err;
      }),
    ]);
  } finally {
    unsubscribe();
    await verifySchedule.stop();
    await stopStatus();
    await source.close().catch(() => undefined);
  }
  const result: CaptureResult = { process: 'up', collector: collector.status(), archiver: archiver.status() };
  req.onProgress?.({ event: 'stopped', ...result });
  return result;
}

/**
 * The `archive` job: the archiver alone, reading the Kafka log that `collect`
 * writes, as a consumer group; offsets are committed only after the segment
 * holding them is durable in the archive.
 */
import type { Logger } from 'pino';
import { kafkaGroupId, kafkaTopicName } from '../../contracts/runtime-config.js';
import type { ArchiveRunConfig } from '../../contracts/runtime-config.js';
import { openArchiveAt } from '../archive/index.js';
import { Archiver } from '../archiver/archiver.js';
import { startStatusWriter } from '../archiver/process-status.js';
import { KafkaLogConsumer } from '../eventlog/kafka-log.js';
import { startVerifySchedule } from './verify-schedule.js';
import { archiveAccessOf, captureLogger, onAbort, statusTargetOf } from './capture-parts.js';
import type { CaptureEvent, CaptureResult } from './capture-parts.js';

export interface ArchiveRunRequest {
  config: ArchiveRunConfig;
  signal: AbortSignal;
  log?: Logger;
  onProgress?: (event: CaptureEvent) => void;
}

export async function runArchive(req: ArchiveRunRequest): Promise<CaptureResult> {
  const { config } = req;
  const log = req.log ?? captureLogger('archive', config);
  const archive = openArchiveAt(config.archive.dir, archiveAccessOf(config.archive));
  const { catalog, store } = archive;
  await catalog.init(config.sourceId);
  const topic = kafkaTopicName(config);
  const consumer = await KafkaLogConsumer.open({
    brokers: [...config.kafka.brokers],
    topic,
    groupId: kafkaGroupId(config),
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    retentionMs: config.kafka.retentionMs,
    maxMessageBytes: config.kafka.maxMessageBytes,
    ...(config.kafka.clientId ? { clientId: config.kafka.clientId } : {}),
    ...(config.kafka.replicationFactor ? { replicationFactor: config.kafka.replicationFactor } : {}),
    logger: log,
  });
  const archiver = new Archiver({
    consumer,
    store,
    catalog,
    sourceId: config.sourceId,
    log,
    segmentMaxBytes: config.archive.segmentMaxBytes,
    segmentMaxAgeMs: config.archive.segmentMaxAgeMs,
    codec: config.archive.codec,
    compaction: { ...config.compaction, memoryBytes: config.compactionMemoryBytes },
    retention: config.retention,
  });
  const kafka = { brokers: [...config.kafka.brokers], topic, groupId: kafkaGroupId(config) };
  const stopStatus = startStatusWriter(statusTargetOf(archive), () => ({ process: 'archive', kafka, archiver: archiver.status() }));
  // Beside the archiver, not inside it: shares only the opened archive (its catalog writer).
  const verifySchedule = startVerifySchedule({ archive, config: config.verify, log });
  const unsubscribe = onAbort(req.signal, () => {
    req.onProgress?.({ event: 'stopping', process: 'archive', reason: 'signal' });
    void archiver.stop();
  });
  try {
    req.onProgress?.({ event: 'started', process: 'archive', sourceId: config.sourceId, archive: archive.root, topic, pid: process.pid });
    await archiver.run();
  } finally {
    unsubscribe();
    await verifySchedule.stop();
    await stopStatus();
  }
  const result: CaptureResult = { process: 'archive', archiver: archiver.status() };
  req.onProgress?.({ event: 'stopped', ...result });
  return result;
}

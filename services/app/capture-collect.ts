/**
 * The `collect` job: the collector alone, publishing to Kafka, for when the
 * collector and the archiver run apart. Its resume point lives in a local
 * state file, written after every publish the brokers acknowledged.
 */
import { dirname, join } from 'node:path';
import { kafkaTopicName } from '../../contracts/runtime-config.js';
import type { CollectConfig } from '../../contracts/runtime-config.js';
import { startStatusWriter } from '../archiver/process-status.js';
import { Collector } from '../collector/collector.js';
import { announceDeployment } from '../collector/deployment-identity.js';
import { FileResumeStore } from '../collector/resume-store.js';
import { openArchiveAt } from '../archive/archive-access.js';
import { KafkaLogProducer } from '../eventlog/kafka-log.js';
import { captureLogger, mongoParts, onAbort, statusTargetOf } from './capture-parts.js';
import type { CaptureRequest, CaptureResult } from './capture-parts.js';

export type CollectRequest = CaptureRequest<CollectConfig>;

export async function runCollect(req: CollectRequest): Promise<CaptureResult> {
  const { config } = req;
  const log = req.log ?? captureLogger('collect', config);
  const { source, copySource, client } = mongoParts(config, req);
  const topic = kafkaTopicName(config);
  const producer = await KafkaLogProducer.open({
    brokers: [...config.kafka.brokers],
    topic,
    retentionMs: config.kafka.retentionMs,
    maxMessageBytes: config.kafka.maxMessageBytes,
    ...(config.kafka.clientId ? { clientId: config.kafka.clientId } : {}),
    ...(config.kafka.replicationFactor ? { replicationFactor: config.kafka.replicationFactor } : {}),
    logger: log,
  });
  const collector = new Collector({
    source,
    copySource,
    producer,
    resumeStore: new FileResumeStore(config.stateFile),
    log,
    scope: { include: config.mongo.include, exclude: config.mongo.exclude },
    pollWaitMs: config.mongo.pollWaitMs,
    copyBatchSize: config.mongo.copyBatchSize,
  });
  // In the archive when the config names it (so `rewind status` there sees the collector), else beside the state file.
  const statusTarget = config.archive ? statusTargetOf(openArchiveAt(config.archive.dir, config.archive.s3 ? { s3: config.archive.s3 } : {})) : join(dirname(config.stateFile), '.status');
  const kafka = { brokers: [...config.kafka.brokers], topic: kafkaTopicName(config) };
  const stopStatus = startStatusWriter(statusTarget, () => ({ process: 'collect', kafka, collector: collector.status() }));
  const unsubscribe = onAbort(req.signal, () => {
    req.onProgress?.({ event: 'stopping', process: 'collect', reason: 'signal' });
    void collector.stop();
  });
  try {
    req.onProgress?.({ event: 'started', process: 'collect', sourceId: config.sourceId, topic, pid: process.pid });
    // First in the log: what the source is, for the archiver to record in the catalog.
    if (client) await announceDeployment(client, producer, log);
    await collector.run();
  } finally {
    unsubscribe();
    await stopStatus();
    await producer.close().catch(() => undefined);
    await source.close().catch(() => undefined);
  }
  const result: CaptureResult = { process: 'collect', collector: collector.status() };
  req.onProgress?.({ event: 'stopped', ...result });
  return result;
}

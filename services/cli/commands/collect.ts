/**
 * `rewind collect`: the collector alone, publishing to Kafka, for when the
 * collector and the archiver run apart. Its resume point lives in a local
 * state file, written after every publish the brokers acknowledged.
 */
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { archiveDirOverride, commonOverrides, configFile, kafkaOverrides, mongoOverrides, stateFileOverride } from './capture-flags.js';
import { checkCapturePaths } from './capture-paths.js';
import type { CommonCaptureFlags, KafkaCaptureFlags, MongoCaptureFlags } from './capture-flags.js';
import { kafkaTopicName, loadCollectConfig } from '../../../contracts/runtime-config.js';
import type { CollectConfig } from '../../../contracts/runtime-config.js';
import { startStatusWriter } from '../../archiver/process-status.js';
import { Collector } from '../../collector/collector.js';
import { announceDeployment } from '../../collector/deployment-identity.js';
import { FileResumeStore } from '../../collector/resume-store.js';
import { KafkaLogProducer } from '../../eventlog/kafka-log.js';
import { openArchiveAt } from '../../archive/archive-access.js';
import { captureLogger, collectOption, loadOrExit, mongoParts, runUntilSignalled, statusTargetOf } from './up.js';
import type { CaptureDeps, CaptureIo } from './up.js';

export async function runCollect(config: CollectConfig, deps: CaptureDeps, signal: AbortSignal): Promise<void> {
  const log = deps.log ?? captureLogger('collect', config);
  const { source, copySource, client } = mongoParts(config, deps);
  const producer = await KafkaLogProducer.open({
    brokers: [...config.kafka.brokers],
    topic: kafkaTopicName(config),
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
  const onAbort = () => void collector.stop();
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    // First in the log: what the source is, for the archiver to record in the catalog.
    if (client) await announceDeployment(client, producer, log);
    await collector.run();
  } finally {
    signal.removeEventListener('abort', onAbort);
    await stopStatus();
    await producer.close().catch(() => undefined);
    await source.close().catch(() => undefined);
  }
}

interface CollectFlags extends CommonCaptureFlags, MongoCaptureFlags, KafkaCaptureFlags {
  stateFile?: string;
  archive?: string;
}

export function registerCollectCommand(program: Command, io: CaptureIo): Command {
  return program
    .command('collect')
    .description('capture the change stream of a MongoDB deployment into Kafka (run `rewind archive` beside it)')
    .option('--mongo <uri>', 'source MongoDB URI (env REWIND_MONGO_URI)')
    .option('--kafka-brokers <list>', 'host:port,host:port (env REWIND_KAFKA_BROKERS)')
    .option('--topic <name>', 'Kafka topic (env REWIND_KAFKA_TOPIC; default rewind.<source-id>.events)')
    .option('--state-file <file>', 'where the collector keeps its resume point (env REWIND_STATE_FILE)')
    .option('--archive <dir>', 'the archive `rewind archive` writes, so `rewind status` there shows this collector (env REWIND_ARCHIVE_DIR)')
    .option('--config <file>', 'JSON configuration file; env REWIND_* and flags override it')
    .option('--source-id <id>', 'name of the captured source (env REWIND_SOURCE_ID)')
    .option('--include <pattern>', 'capture only matching namespaces; repeatable', collectOption, [])
    .option('--exclude <pattern>', 'leave out matching namespaces; repeatable', collectOption, [])
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .action(async (flags: CollectFlags) => {
      const config = loadOrExit('collect', io, () =>
        loadCollectConfig({
          ...configFile(flags),
          env: io.env ?? process.env,
          overrides: {
            ...commonOverrides(flags),
            ...stateFileOverride(flags.stateFile),
            ...archiveDirOverride(flags.archive),
            ...kafkaOverrides(flags),
            ...mongoOverrides(flags),
          },
        }),
      );
      await checkCapturePaths('collect', io, config);
      await runUntilSignalled('collect', io, (signal) => runCollect(config, {}, signal));
    });
}

/**
 * `rewind archive`: the archiver alone, reading the Kafka log that `rewind
 * collect` writes, as a consumer group; offsets are committed only after the
 * segment holding them is durable in the archive.
 */
import type { Command } from 'commander';
import { archiveDirOverride, commonOverrides, configFile, kafkaOverrides } from './capture-flags.js';
import { checkCapturePaths } from './capture-paths.js';
import type { CommonCaptureFlags, KafkaCaptureFlags } from './capture-flags.js';
import type { Logger } from 'pino';
import { kafkaGroupId, kafkaTopicName, loadArchiveRunConfig } from '../../../contracts/runtime-config.js';
import type { ArchiveRunConfig } from '../../../contracts/runtime-config.js';
import { openArchiveAt } from '../../archive/index.js';
import { Archiver } from '../../archiver/archiver.js';
import { startStatusWriter } from '../../archiver/process-status.js';
import { archiveAccessOf, statusTargetOf } from './up.js';
import { KafkaLogConsumer } from '../../eventlog/kafka-log.js';
import { startVerifySchedule } from '../../app/verify-schedule.js';
import { captureLogger, loadOrExit, runUntilSignalled } from './up.js';
import type { CaptureIo } from './up.js';

export async function runArchive(config: ArchiveRunConfig, deps: { log?: Logger }, signal: AbortSignal): Promise<void> {
  const log = deps.log ?? captureLogger('archive', config);
  const archive = openArchiveAt(config.archive.dir, archiveAccessOf(config.archive));
  const { catalog, store } = archive;
  await catalog.init(config.sourceId);
  const consumer = await KafkaLogConsumer.open({
    brokers: [...config.kafka.brokers],
    topic: kafkaTopicName(config),
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
  const kafka = { brokers: [...config.kafka.brokers], topic: kafkaTopicName(config), groupId: kafkaGroupId(config) };
  const stopStatus = startStatusWriter(statusTargetOf(archive), () => ({ process: 'archive', kafka, archiver: archiver.status() }));
  // Beside the archiver, not inside it: shares only the opened archive (its catalog writer).
  const verifySchedule = startVerifySchedule({ archive, config: config.verify, log });
  const onAbort = () => void archiver.stop();
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    await archiver.run();
  } finally {
    signal.removeEventListener('abort', onAbort);
    await verifySchedule.stop();
    await stopStatus();
  }
}

interface ArchiveFlags extends CommonCaptureFlags, KafkaCaptureFlags {
  archive?: string;
}

export function registerArchiveCommand(program: Command, io: CaptureIo): Command {
  return program
    .command('archive')
    .description('archive the Kafka log written by `rewind collect`: segments, catalog, base snapshots, retention')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR; S3 settings REWIND_S3_* or archive.s3)')
    .option('--kafka-brokers <list>', 'host:port,host:port (env REWIND_KAFKA_BROKERS)')
    .option('--topic <name>', 'Kafka topic (env REWIND_KAFKA_TOPIC; default rewind.<source-id>.events)')
    .option('--group <id>', 'consumer group (env REWIND_KAFKA_GROUP; default rewind-archiver.<source-id>)')
    .option('--config <file>', 'JSON configuration file; env REWIND_* and flags override it')
    .option('--source-id <id>', 'name of the captured source (env REWIND_SOURCE_ID)')
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .action(async (flags: ArchiveFlags) => {
      const config = loadOrExit('archive', io, () =>
        loadArchiveRunConfig({
          ...configFile(flags),
          env: io.env ?? process.env,
          overrides: { ...commonOverrides(flags), ...archiveDirOverride(flags.archive), ...kafkaOverrides(flags) },
        }),
      );
      await checkCapturePaths('archive', io, config);
      await runUntilSignalled('archive', io, (signal) => runArchive(config, {}, signal));
    });
}

/**
 * `rewind archive`: the archiver alone, reading the Kafka log that `rewind
 * collect` writes. Flags to a frozen config, then the app layer's archive job
 * (services/app/capture-archive.ts).
 */
import type { Command } from 'commander';
import { loadArchiveRunConfig } from '../../../contracts/runtime-config.js';
import { checkCapturePaths, runArchive } from '../../app/index.js';
import { addOldSpellings, takeOldSpellings } from '../flag-vocabulary.js';
import { KAFKA_OLD, archiveDirOverride, commonOverrides, configFile, kafkaOverrides } from './capture-flags.js';
import type { CommonCaptureFlags, KafkaCaptureFlags } from './capture-flags.js';
import { envSources, loadOrExit, printLifecycle, runUntilSignalled } from './capture-command.js';
import type { CaptureIo } from './capture-command.js';

interface ArchiveFlags extends CommonCaptureFlags, KafkaCaptureFlags {
  archive?: string;
  json?: boolean;
}

const EXAMPLE = 'rewind archive --archive /var/lib/rewind/archive --kafka-brokers kafka1:9092';

export function registerArchiveCommand(program: Command, io: CaptureIo): Command {
  const command = program
    .command('archive')
    .description('archive the Kafka log written by `rewind collect`: segments, catalog, base snapshots, retention')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR; S3 settings REWIND_S3_* or archive.s3)')
    .option('--kafka-brokers <list>', 'host:port,host:port (env REWIND_KAFKA_BROKERS)')
    .option('--kafka-topic <name>', 'Kafka topic (env REWIND_KAFKA_TOPIC; default rewind.<source-id>.events)')
    .option('--kafka-group <id>', 'consumer group (env REWIND_KAFKA_GROUP; default rewind-archiver.<source-id>)')
    .option('--config <file>', 'JSON configuration file; env REWIND_* and flags override it')
    .option('--source-id <id>', 'name of the captured source (env REWIND_SOURCE_ID)')
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .option('--json', 'print the lifecycle (started, stopping, stopped) as JSON lines on stdout');
  return addOldSpellings(command, KAFKA_OLD).action(async (flags: ArchiveFlags) => {
    takeOldSpellings('archive', io, flags, KAFKA_OLD);
    const config = loadOrExit('archive', io, EXAMPLE, () =>
      loadArchiveRunConfig({
        ...configFile(flags),
        ...envSources('archive', io),
        overrides: { ...commonOverrides(flags), ...archiveDirOverride(flags.archive), ...kafkaOverrides(flags) },
      }),
    );
    const onProgress = printLifecycle('archive', io, flags.json === true);
    await runUntilSignalled('archive', io, async (signal) => {
      await checkCapturePaths(config);
      return runArchive({ config, signal, onProgress });
    });
  });
}

/**
 * `rewind collect`: the collector alone, publishing to Kafka, for when the
 * collector and the archiver run apart. Flags to a frozen config, then the
 * app layer's collect job (services/app/capture-collect.ts).
 */
import type { Command } from 'commander';
import { loadCollectConfig } from '../../../contracts/runtime-config.js';
import { checkCapturePaths, runCollect } from '../../app/index.js';
import { addOldSpellings, repeatable, takeOldSpellings } from '../flag-vocabulary.js';
import { KAFKA_OLD, SOURCE_URI_OLD, archiveDirOverride, commonOverrides, configFile, kafkaOverrides, mongoOverrides, stateFileOverride } from './capture-flags.js';
import type { CommonCaptureFlags, KafkaCaptureFlags, MongoCaptureFlags } from './capture-flags.js';
import { envSources, loadOrExit, printLifecycle, runUntilSignalled } from './capture-command.js';
import type { CaptureIo } from './capture-command.js';

interface CollectFlags extends CommonCaptureFlags, MongoCaptureFlags, KafkaCaptureFlags {
  stateFile?: string;
  archive?: string;
  json?: boolean;
}

const OLD = [...SOURCE_URI_OLD, KAFKA_OLD[0]];
const EXAMPLE = 'rewind collect --source-uri "mongodb://db1.example:27017/?replicaSet=rs0" --kafka-brokers kafka1:9092 --state-file /var/lib/rewind/collector.json';

export function registerCollectCommand(program: Command, io: CaptureIo): Command {
  const command = program
    .command('collect')
    .description('capture the change stream of a MongoDB deployment into Kafka (run `rewind archive` beside it)')
    .option('--source-uri <uri>', 'the captured MongoDB deployment (env REWIND_SOURCE_URI)')
    .option('--kafka-brokers <list>', 'host:port,host:port (env REWIND_KAFKA_BROKERS)')
    .option('--kafka-topic <name>', 'Kafka topic (env REWIND_KAFKA_TOPIC; default rewind.<source-id>.events)')
    .option('--state-file <file>', 'where the collector keeps its resume point (env REWIND_STATE_FILE)')
    .option('--archive <dir>', 'the archive `rewind archive` writes, so `rewind status` there shows this collector (env REWIND_ARCHIVE_DIR)')
    .option('--config <file>', 'JSON configuration file; env REWIND_* and flags override it')
    .option('--source-id <id>', 'name of the captured source (env REWIND_SOURCE_ID)')
    .addOption(repeatable('--include <pattern>', 'capture only matching namespaces; repeatable', 'every namespace'))
    .addOption(repeatable('--exclude <pattern>', 'leave out matching namespaces; repeatable', 'none'))
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .option('--json', 'print the lifecycle (started, stopping, stopped) as JSON lines on stdout');
  return addOldSpellings(command, OLD).action(async (flags: CollectFlags) => {
    takeOldSpellings('collect', io, flags, OLD);
    const config = loadOrExit('collect', io, EXAMPLE, () =>
      loadCollectConfig({
        ...configFile(flags),
        ...envSources('collect', io),
        overrides: {
          ...commonOverrides(flags),
          ...stateFileOverride(flags.stateFile),
          ...archiveDirOverride(flags.archive),
          ...kafkaOverrides(flags),
          ...mongoOverrides(flags),
        },
      }),
    );
    const onProgress = printLifecycle('collect', io, flags.json === true);
    await runUntilSignalled('collect', io, async (signal) => {
      await checkCapturePaths(config);
      return runCollect({ config, signal, onProgress });
    });
  });
}

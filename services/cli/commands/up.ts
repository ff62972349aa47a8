/**
 * `rewind up --source-uri <uri> --archive <dir>`: collector, embedded event
 * log and archiver in one process: the default on one machine. Flags to a
 * frozen config, then the app layer's up job (services/app/capture-up.ts).
 */
import type { Command } from 'commander';
import { loadUpConfig } from '../../../contracts/runtime-config.js';
import { checkCapturePaths, runUp } from '../../app/index.js';
import { addOldSpellings, repeatable, takeOldSpellings } from '../flag-vocabulary.js';
import { SOURCE_URI_OLD, archiveDirOverride, commonOverrides, configFile, mongoOverrides } from './capture-flags.js';
import type { CommonCaptureFlags, MongoCaptureFlags } from './capture-flags.js';
import { envSources, loadOrExit, printLifecycle, runUntilSignalled } from './capture-command.js';
import type { CaptureIo } from './capture-command.js';

export type { CaptureIo } from './capture-command.js';

interface UpFlags extends CommonCaptureFlags, MongoCaptureFlags {
  archive?: string;
  json?: boolean;
}

const EXAMPLE = 'rewind up --source-uri "mongodb://db1.example:27017/?replicaSet=rs0" --archive /var/lib/rewind/archive';

export function registerUpCommand(program: Command, io: CaptureIo): Command {
  const command = program
    .command('up')
    .description('capture a MongoDB deployment continuously into an archive: collector, embedded log and archiver in one process')
    .option('--source-uri <uri>', 'the captured MongoDB deployment, a replica set (env REWIND_SOURCE_URI)')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR; S3 settings REWIND_S3_* or archive.s3)')
    .option('--config <file>', 'JSON configuration file; env REWIND_* and flags override it')
    .option('--source-id <id>', 'name of the captured source (env REWIND_SOURCE_ID)')
    .addOption(repeatable('--include <pattern>', 'capture only matching namespaces, db.coll with * wildcards; repeatable', 'every namespace'))
    .addOption(repeatable('--exclude <pattern>', 'leave out matching namespaces; repeatable', 'none'))
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .option('--json', 'print the lifecycle (started, stopping, stopped) as JSON lines on stdout');
  return addOldSpellings(command, SOURCE_URI_OLD).action(async (flags: UpFlags) => {
    takeOldSpellings('up', io, flags, SOURCE_URI_OLD);
    const config = loadOrExit('up', io, EXAMPLE, () =>
      loadUpConfig({
        ...configFile(flags),
        ...envSources('up', io),
        overrides: { ...commonOverrides(flags), ...archiveDirOverride(flags.archive), ...mongoOverrides(flags) },
      }),
    );
    const onProgress = printLifecycle('up', io, flags.json === true);
    await runUntilSignalled('up', io, async (signal) => {
      await checkCapturePaths(config);
      return runUp({ config, signal, onProgress });
    });
  });
}

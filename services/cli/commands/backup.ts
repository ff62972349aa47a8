/**
 * `rewind backup [--name N] --archive <a>`: a named base snapshot now
 * (services/app/backup.ts). Wiring and formatting only; refusals are thrown
 * (program.ts prints them). SIGINT or SIGTERM stops it through its
 * AbortSignal: the fold in hand finishes, its files are removed, nothing is
 * catalogued.
 */
import type { Command } from 'commander';
import type { BackupResult } from '../../../contracts/backup-result.js';
import { stringifyJson } from '../../../contracts/ordered-json.js';
import { runBackup } from '../../app/backup.js';
import { RecoveryError } from '../../app/recovery-errors.js';
import { archiveDirFromEnv } from '../archive-dir-env.js';
import type { CommandIo } from './archive-output.js';
import { formatBytes } from './archive-output.js';

interface BackupFlags {
  archive?: string;
  name?: string;
  tempDir?: string;
  json?: boolean;
}

function human(r: BackupResult): string {
  return [
    `snapshot "${r.name}" (${r.snapshot}) at ${r.positionText}: ${r.namespaces} namespace(s), ${r.documents.toLocaleString('en-US')} document(s), ${formatBytes(r.bytes)}`,
    `  folded ${r.eventsFolded.toLocaleString('en-US')} event(s) onto ${r.base.id} in ${(r.durationMs / 1000).toFixed(1)} s`,
    `  restore it with: rewind ${r.restoreWith.join(' ')} --target-uri <uri>`,
  ].join('\n') + '\n';
}

export function registerBackupCommand(program: Command, io: CommandIo): Command {
  return program
    .command('backup')
    .description('take a named base snapshot of the archive now (compaction up to the durable point), listed by catalog, restorable by name')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--name <name>', 'the snapshot’s name (default backup-<UTC time>); restore --at-snapshot <name> restores it')
    .option('--temp-dir <dir>', 'parent folder of temporary sorted runs (default: the OS temp folder)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: BackupFlags) => {
      const archive = flags.archive ?? archiveDirFromEnv(io.env ?? process.env);
      if (!archive) throw new RecoveryError('BAD_OPTIONS', 'give --archive <dir> (or REWIND_ARCHIVE_DIR), e.g. rewind backup --archive /var/lib/rewind --name before-migration');
      const controller = new AbortController();
      const stop = (signal: NodeJS.Signals) => {
        io.stderr(`rewind backup: ${signal}: stopping after the step in hand; nothing will be catalogued\n`);
        controller.abort(new Error(`stopped by ${signal}`));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const result = await runBackup({
          archive,
          ...(flags.name === undefined ? {} : { name: flags.name }),
          ...(flags.tempDir === undefined ? {} : { tempDir: flags.tempDir }),
          signal: controller.signal,
        });
        io.stdout(flags.json === true ? `${stringifyJson(result, 2)}\n` : human(result));
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}

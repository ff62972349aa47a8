/**
 * `rewind diff`: the archive's state at T against a live collection. Wiring
 * only; the comparison lives in services/restore (diff-from-archive.ts).
 */
import { archiveDirFromEnv } from '../archive-dir-env.js';
import { stopOnSignal } from './stop-on-signal.js';
import type { Command } from 'commander';
import { fail, positiveInt, printJson } from '../../restore/command-output.js';
import type { CommandIo } from '../../restore/command-output.js';
import { diffFromArchive } from '../../restore/diff-from-archive.js';
import type { DiffReport } from '../../restore/diff.js';
import { RestoreError } from '../../restore/errors.js';
import { progressBar } from '../../restore/progress-bar.js';

interface DiffFlags {
  archive?: string;
  ns?: string;
  at?: string;
  target?: string;
  source?: string;
  liveNs?: string;
  out?: string;
  maxKeys?: number;
  batchSize?: number;
  tempDir?: string;
  json?: boolean;
}

function human(r: DiffReport, out: string | undefined): string {
  const c = r.counts;
  return [
    `${r.ns} at ${r.atIso} (${r.at}) vs live ${r.liveNs}: ${c.archive} in the archive, ${c.live} live`,
    `  identical ${c.identical}, missing ${c.missing}, unexpected ${c.unexpected}, diverged ${c.diverged}${r.truncated ? ' (key lists truncated)' : ''}`,
    ...(r.missing.length ? [`  missing: ${r.missing.slice(0, 10).map((k) => JSON.stringify(k)).join(' ')}${r.missing.length > 10 ? ' …' : ''}`] : []),
    ...(r.unexpected.length ? [`  unexpected: ${r.unexpected.slice(0, 10).map((k) => JSON.stringify(k)).join(' ')}${r.unexpected.length > 10 ? ' …' : ''}`] : []),
    ...(r.diverged.length ? [`  diverged: ${r.diverged.slice(0, 10).map((d) => JSON.stringify(d.key)).join(' ')}${r.diverged.length > 10 ? ' …' : ''}`] : []),
    ...(out ? [`report written to ${out} (repair lost documents: rewind restore --mode missing-only --keys-from ${out} --target <uri>)`] : []),
  ].join('\n') + '\n';
}

export function registerDiffCommand(program: Command, io: CommandIo): Command {
  return program
    .command('diff')
    .description('compare the state the archive says a collection had at T with the live collection')
    .option('--archive <dir>', 'archive folder (env REWIND_ARCHIVE_DIR)')
    .option('--ns <db.coll>', 'the archived namespace')
    .option('--at <time|position>', 'ISO time or s.i[.n] (default: the latest restorable state)')
    .option('--target <uri>', 'the live MongoDB to compare (default: --source / REWIND_SOURCE_URI)')
    .option('--source <uri>', 'the captured source MongoDB (env REWIND_SOURCE_URI)')
    .option('--live-ns <db.coll>', 'the live namespace, when it has another name (default: --ns)')
    .option('--out <file>', 'write the JSON report here (input of restore --keys-from)')
    .option('--max-keys <n>', 'list at most this many differing keys', positiveInt('--max-keys'), 1_000_000)
    .option('--batch-size <n>', 'live cursor batch size', positiveInt('--batch-size'), 1000)
    .option('--temp-dir <dir>', 'parent folder of temporary sorted runs')
    .option('--json', 'print the whole report as JSON')
    .action(async (flags: DiffFlags) => {
      const json = flags.json === true;
      const bar = progressBar('diff', !json);
      const released = stopOnSignal('diff', io);
      try {
        const env = io.env ?? process.env;
        const archiveDir = flags.archive ?? archiveDirFromEnv(env);
        if (!archiveDir) throw new RestoreError('BAD_OPTIONS', 'give --archive <dir> (or REWIND_ARCHIVE_DIR)');
        if (!flags.ns) throw new RestoreError('BAD_OPTIONS', 'give --ns <db.coll>');
        const liveUri = flags.target ?? flags.source ?? (env.REWIND_SOURCE_URI || undefined);
        const liveUriFrom = flags.target !== undefined ? '--target' : flags.source !== undefined ? '--source' : 'REWIND_SOURCE_URI';
        if (!liveUri) throw new RestoreError('BAD_OPTIONS', 'give --target <uri> (or --source / REWIND_SOURCE_URI)');
        const report = await diffFromArchive({
          archiveDir,
          ns: flags.ns,
          ...(flags.at === undefined ? {} : { at: flags.at }),
          liveUri,
          liveUriFrom,
          ...(flags.liveNs === undefined ? {} : { liveNs: flags.liveNs }),
          ...(flags.out === undefined ? {} : { out: flags.out }),
          ...(flags.maxKeys === undefined ? {} : { maxKeys: flags.maxKeys }),
          ...(flags.batchSize === undefined ? {} : { batchSize: flags.batchSize }),
          ...(flags.tempDir === undefined ? {} : { tempDir: flags.tempDir }),
          onProgress: (n) => bar.update(flags.ns ?? '', n, null),
        });
        bar.stop();
        if (json) printJson(io, report);
        else io.stdout(human(report, flags.out));
      } catch (err) {
        bar.stop();
        fail(io, 'diff', json, err);
      } finally {
        released();
      }
    });
}

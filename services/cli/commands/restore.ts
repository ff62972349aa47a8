/**
 * `rewind restore`: point-in-time restore from the archive. Flags to the app
 * layer's typed request (services/app/restore.ts), the report to text or JSON.
 */
import type { Command } from 'commander';
import { restore } from '../../app/index.js';
import type { RequestNames, RestoreMode } from '../../app/index.js';
import { DEFAULT_JOB_DIR } from '../../restore/restore-from-archive.js';
import type { RestoreReport } from '../../restore/restore-job.js';
import { archiveRefFrom } from '../archive-ref.js';
import { fail, positiveInt, printJson } from '../command-output.js';
import type { CommandIo } from '../command-output.js';
import { addOldSpellings, repeatable, takeOldSpellings } from '../flag-vocabulary.js';
import { POINT_IN_TIME_OLD, pointInTimeFromFlags } from '../point-in-time-flags.js';
import type { PointInTimeFlags } from '../point-in-time-flags.js';
import { progressBar } from '../progress-bar.js';
import { RestoreError } from '../../restore/errors.js';
import { stopOnSignal } from './stop-on-signal.js';

interface RestoreFlags extends PointInTimeFlags {
  archive?: string;
  ns: string[];
  filter?: string;
  id: string[];
  keysFrom?: string;
  targetUri?: string;
  sourceUri?: string;
  nsFrom: string[];
  nsTo: string[];
  mode: string;
  dryRun?: boolean;
  yesOverwriteSource?: boolean;
  job?: string;
  jobDir?: string;
  parallel?: number;
  batchSize?: number;
  tempDir?: string;
  json?: boolean;
}

const OLD = [...POINT_IN_TIME_OLD, { old: '--target <uri>', now: '--target-uri <uri>' }, { old: '--source <uri>', now: '--source-uri <uri>' }];

/** The request's fields as this command spells them, for the restore room's messages. */
export const RESTORE_FLAG_NAMES: RequestNames = {
  at: '--at',
  mode: '--mode',
  dryRun: '--dry-run',
  namespaces: '--ns',
  filter: '--filter',
  ids: '--id',
  keysFrom: '--keys-from',
  targetUri: '--target-uri',
  sourceUri: '--source-uri',
  mappings: '--ns-from/--ns-to',
  confirmSource: '--yes-overwrite-source',
  jobId: '--job',
  jobDir: '--job-dir',
  tempDir: '--temp-dir',
};

function human(report: RestoreReport): string {
  const lines = [
    `${report.dryRun ? 'dry run (nothing written)' : 'restored'} to ${report.positionIso} (${report.position}), mode ${report.mode}${report.jobId ? `, job ${report.jobId}${report.resumed ? ' (resumed)' : ''}` : ''}`,
  ];
  const d = report.destination;
  if (d) lines.push(`into ${d.uri}: ${d.deployment}${d.isCapturedSource === 'yes' ? ', the captured source' : d.isCapturedSource === 'no' ? ', not the captured source' : ', possibly the captured source'}`);
  for (const n of report.namespaces) {
    const c = n.counts;
    lines.push(`  ${n.ns} → ${n.target}: ${c.inserted} inserted, ${c.replaced} replaced, ${c.deleted} deleted, ${c.unchanged} unchanged${c.kept ? `, ${c.kept} kept (differ, left alone)` : ''}${n.indexes.length ? `; indexes ${n.indexes.join(', ')}` : ''}`);
    if (report.dryRun) {
      for (const [kind, keys] of Object.entries(n.samples)) if (keys.length) lines.push(`    ${kind}: ${keys.map((k) => JSON.stringify(k)).join(' ')}`);
    }
    for (const w of n.warnings) lines.push(`    warning: ${w}`);
  }
  const t = report.totals;
  lines.push(`total: ${t.inserted} inserted, ${t.replaced} replaced, ${t.deleted} deleted, ${t.unchanged} unchanged, ${t.kept} kept in ${(report.durationMs / 1000).toFixed(1)} s`);
  if (!report.changed) lines.push(report.dryRun ? 'nothing would change: the target already matches the archive in this scope' : 'nothing changed: the target already matched the archive in this scope');
  return `${lines.join('\n')}\n`;
}

export function registerRestoreCommand(program: Command, io: CommandIo): Command {
  const command = program
    .command('restore')
    .description('restore the state at a point in time from the archive into MongoDB')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--at <time>', 'point in time: an ISO 8601 time with a zone (every event of that second included), or s.i[.n]')
    .option('--at-position <s.i[.n]>', 'point in time: an exact position (after its whole transaction)')
    .option('--before-event <id>', 'point in time: just before this event and its transaction (undo a bad deleteMany or drop)')
    .option('--at-snapshot <name>', 'point in time: the state of a named snapshot (rewind backup --name; rewind catalog lists them)')
    .addOption(repeatable('--ns <pattern>', 'namespace to restore, db.coll; * wildcards; repeatable', 'all'))
    .option('--filter <json>', 'only documents matching this query at T (equality, $in/$nin, $eq/$ne/$gt/$gte/$lt/$lte, $exists, $and/$or/$nor)')
    .addOption(repeatable('--id <ejson>', 'only this document key (Extended JSON of _id); repeatable; needs one --ns', 'every document'))
    .option('--keys-from <report>', 'only the keys a `rewind diff` report lists (missing ones in missing-only mode)')
    .option('--target-uri <uri>', 'where the restore writes (default: the source, in place)')
    .option('--source-uri <uri>', 'the captured MongoDB deployment (env REWIND_SOURCE_URI); in-place restores write here')
    .addOption(repeatable('--ns-from <pattern>', 'map namespaces: source pattern (pairs with --ns-to; * captures)', 'none'))
    .addOption(repeatable('--ns-to <pattern>', 'map namespaces: destination pattern', 'none'))
    .option('--mode <mode>', 'into-empty | overwrite | missing-only', 'into-empty')
    .option('--dry-run', 'report what would be inserted, replaced, deleted and left unchanged; write nothing')
    .option('--yes-overwrite-source', 'confirm writing into the captured source namespaces themselves')
    .option('--job <id>', 'job id: re-run with the same id and options to resume a killed restore')
    .option('--job-dir <dir>', `folder of job state files, outside the archive (env REWIND_JOB_DIR, default ${DEFAULT_JOB_DIR})`)
    .option('--parallel <n>', 'namespaces restored at once', positiveInt('--parallel'), 4)
    .option('--batch-size <n>', 'documents per write batch', positiveInt('--batch-size'), 1000)
    .option('--temp-dir <dir>', 'parent folder of temporary sorted runs (default: the OS temp folder)')
    .option('--json', 'print the final report as JSON');
  return addOldSpellings(command, OLD).action(async (flags: RestoreFlags) => {
    const json = flags.json === true;
    const bar = progressBar('restore', !json);
    const released = stopOnSignal('restore', io);
    try {
      takeOldSpellings('restore', io, flags, OLD);
      const env = io.env ?? process.env;
      const archive = archiveRefFrom(flags.archive, env);
      const sourceUri = flags.sourceUri ?? (env.REWIND_SOURCE_URI || undefined);
      const jobDir = flags.jobDir ?? (env.REWIND_JOB_DIR || undefined);
      if (flags.nsFrom.length !== flags.nsTo.length) {
        throw new RestoreError('BAD_OPTIONS', `--ns-from and --ns-to come in pairs (got ${flags.nsFrom.length} and ${flags.nsTo.length})`);
      }
      const report = await restore({
        archive,
        at: pointInTimeFromFlags(flags),
        // The room refuses a mode it does not know, naming --mode.
        mode: flags.mode as RestoreMode,
        dryRun: flags.dryRun === true,
        namespaces: flags.ns,
        ...(flags.filter === undefined ? {} : { filter: flags.filter }),
        ids: flags.id,
        ...(flags.keysFrom === undefined ? {} : { keysFrom: flags.keysFrom }),
        ...(flags.targetUri === undefined ? {} : { targetUri: flags.targetUri }),
        ...(sourceUri === undefined ? {} : { sourceUri }),
        mappings: flags.nsFrom.map((from, i) => ({ from, to: flags.nsTo[i] as string })),
        confirmSource: flags.yesOverwriteSource === true,
        ...(flags.job === undefined ? {} : { jobId: flags.job }),
        ...(jobDir === undefined ? {} : { jobDir }),
        ...(flags.parallel === undefined ? {} : { parallel: flags.parallel }),
        ...(flags.batchSize === undefined ? {} : { batchSize: flags.batchSize }),
        ...(flags.tempDir === undefined ? {} : { tempDir: flags.tempDir }),
        names: { ...RESTORE_FLAG_NAMES, sourceUri: flags.sourceUri === undefined && sourceUri !== undefined ? 'REWIND_SOURCE_URI' : '--source-uri' },
        onProgress: (e) => bar.update(e.phase === 'check' ? `${e.ns} (checking)` : e.ns, e.processed, e.total),
      });
      bar.stop();
      if (json) printJson(io, report);
      else io.stdout(human(report));
    } catch (err) {
      bar.stop();
      fail(io, 'restore', json, err);
    } finally {
      released();
    }
  });
}

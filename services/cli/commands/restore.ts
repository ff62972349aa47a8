/**
 * `rewind restore`: point-in-time restore from the archive. Wiring only; the
 * job lives in services/restore (restore-from-archive.ts).
 */
import { archiveDirFromEnv } from '../archive-dir-env.js';
import { stopOnSignal } from './stop-on-signal.js';
import type { Command } from 'commander';
import { collect, fail, positiveInt, printJson } from '../../restore/command-output.js';
import type { CommandIo } from '../../restore/command-output.js';
import { RestoreError } from '../../restore/errors.js';
import { progressBar } from '../../restore/progress-bar.js';
import { DEFAULT_JOB_DIR, restoreFromArchive } from '../../restore/restore-from-archive.js';
import type { RestoreReport } from '../../restore/restore-job.js';

interface RestoreFlags {
  archive?: string;
  to?: string;
  toPosition?: string;
  beforeEvent?: string;
  atSnapshot?: string;
  ns: string[];
  filter?: string;
  id: string[];
  keysFrom?: string;
  target?: string;
  source?: string;
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
  return program
    .command('restore')
    .description('restore the state at a point in time from the archive into MongoDB')
    .option('--archive <dir>', 'archive folder (env REWIND_ARCHIVE_DIR)')
    .option('--to <iso-time>', 'target: an ISO 8601 time with a zone (every event of that second included)')
    .option('--to-position <s.i[.n]>', 'target: an exact position (after its whole transaction)')
    .option('--before-event <id>', 'target: just before this event and its transaction (undo a bad deleteMany or drop)')
    .option('--at-snapshot <name>', 'target: the state of a named snapshot (rewind backup --name; rewind catalog lists them)')
    .option('--ns <pattern>', 'namespace to restore, db.coll; * wildcards; repeatable (default: all)', collect, [])
    .option('--filter <json>', 'only documents matching this query at T (equality, $in/$nin, $eq/$ne/$gt/$gte/$lt/$lte, $exists, $and/$or/$nor)')
    .option('--id <ejson>', 'only this document key (Extended JSON of _id); repeatable; needs one --ns', collect, [])
    .option('--keys-from <report>', 'only the keys a `rewind diff` report lists (missing ones in missing-only mode)')
    .option('--target <uri>', 'destination MongoDB (default: the source, in place)')
    .option('--source <uri>', 'the captured source MongoDB (env REWIND_SOURCE_URI); in-place restores write here')
    .option('--ns-from <pattern>', 'map namespaces: source pattern (pairs with --ns-to; * captures)', collect, [])
    .option('--ns-to <pattern>', 'map namespaces: destination pattern', collect, [])
    .option('--mode <mode>', 'into-empty | overwrite | missing-only', 'into-empty')
    .option('--dry-run', 'report what would be inserted, replaced, deleted and left unchanged; write nothing')
    .option('--yes-overwrite-source', 'confirm writing into the captured source namespaces themselves')
    .option('--job <id>', 'job id: re-run with the same id and options to resume a killed restore')
    .option('--job-dir <dir>', `folder of job state files, outside the archive (env REWIND_JOB_DIR, default ${DEFAULT_JOB_DIR})`)
    .option('--parallel <n>', 'namespaces restored at once', positiveInt('--parallel'), 4)
    .option('--batch-size <n>', 'documents per write batch', positiveInt('--batch-size'), 1000)
    .option('--temp-dir <dir>', 'parent folder of temporary sorted runs (default: the OS temp folder)')
    .option('--json', 'print the final report as JSON')
    .action(async (flags: RestoreFlags) => {
      const json = flags.json === true;
      const bar = progressBar('restore', !json);
      const released = stopOnSignal('restore', io);
      try {
        const env = io.env ?? process.env;
        const archiveDir = flags.archive ?? archiveDirFromEnv(env);
        if (!archiveDir) throw new RestoreError('BAD_OPTIONS', 'give --archive <dir> (or REWIND_ARCHIVE_DIR)');
        const sourceUri = flags.source ?? (env.REWIND_SOURCE_URI || undefined);
        const sourceUriFrom = flags.source === undefined ? 'REWIND_SOURCE_URI' : '--source';
        const jobDir = flags.jobDir ?? (env.REWIND_JOB_DIR || undefined);
        const report = await restoreFromArchive({
          archiveDir,
          target: {
            ...(flags.to === undefined ? {} : { to: flags.to }),
            ...(flags.toPosition === undefined ? {} : { toPosition: flags.toPosition }),
            ...(flags.beforeEvent === undefined ? {} : { beforeEvent: flags.beforeEvent }),
            ...(flags.atSnapshot === undefined ? {} : { atSnapshot: flags.atSnapshot }),
          },
          mode: flags.mode,
          dryRun: flags.dryRun === true,
          namespaces: flags.ns,
          ...(flags.filter === undefined ? {} : { filter: flags.filter }),
          ids: flags.id,
          ...(flags.keysFrom === undefined ? {} : { keysFrom: flags.keysFrom }),
          ...(flags.target === undefined ? {} : { targetUri: flags.target }),
          ...(sourceUri === undefined ? {} : { sourceUri, sourceUriFrom }),
          nsFrom: flags.nsFrom,
          nsTo: flags.nsTo,
          confirmSource: flags.yesOverwriteSource === true,
          ...(flags.job === undefined ? {} : { jobId: flags.job }),
          ...(jobDir === undefined ? {} : { jobDir }),
          ...(flags.parallel === undefined ? {} : { parallel: flags.parallel }),
          ...(flags.batchSize === undefined ? {} : { batchSize: flags.batchSize }),
          ...(flags.tempDir === undefined ? {} : { tempDir: flags.tempDir }),
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

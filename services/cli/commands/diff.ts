/**
 * `rewind diff`: the archive's state at T against a live collection. Flags to
 * the app layer's typed request (services/app/diff.ts), the report to text or
 * JSON.
 */
import type { Command } from 'commander';
import { diff } from '../../app/index.js';
import type { DiffResult } from '../../app/index.js';
import type { RequestNames } from '../../restore/request-names.js';
import { RestoreError } from '../../restore/errors.js';
import { archiveRefFrom } from '../archive-ref.js';
import { fail, positiveInt, printJson } from '../command-output.js';
import type { CommandIo } from '../command-output.js';
import { addOldSpellings, takeOldSpellings } from '../flag-vocabulary.js';
import { pointInTimeFromFlags } from '../point-in-time-flags.js';
import type { PointInTimeFlags } from '../point-in-time-flags.js';
import { progressBar } from '../progress-bar.js';
import { stopOnSignal } from './stop-on-signal.js';

interface DiffFlags extends PointInTimeFlags {
  archive?: string;
  ns?: string;
  targetUri?: string;
  sourceUri?: string;
  liveNs?: string;
  out?: string;
  maxKeys?: number;
  batchSize?: number;
  tempDir?: string;
  json?: boolean;
}

const OLD = [
  { old: '--target <uri>', now: '--target-uri <uri>' },
  { old: '--source <uri>', now: '--source-uri <uri>' },
];

const EXAMPLE = 'rewind diff --archive /var/lib/rewind/archive --ns shop.orders --target-uri "mongodb://db1.example:27017/?replicaSet=rs0"';

function human(r: DiffResult, out: string | undefined): string {
  const c = r.counts;
  return [
    `${r.ns} at ${r.atIso} (${r.at}) vs live ${r.liveNs}: ${c.archive} in the archive, ${c.live} live`,
    `  identical ${c.identical}, missing ${c.missing}, unexpected ${c.unexpected}, diverged ${c.diverged}${r.truncated ? ' (key lists truncated)' : ''}`,
    ...(r.missing.length ? [`  missing: ${r.missing.slice(0, 10).map((k) => JSON.stringify(k)).join(' ')}${r.missing.length > 10 ? ' …' : ''}`] : []),
    ...(r.unexpected.length ? [`  unexpected: ${r.unexpected.slice(0, 10).map((k) => JSON.stringify(k)).join(' ')}${r.unexpected.length > 10 ? ' …' : ''}`] : []),
    ...(r.diverged.length ? [`  diverged: ${r.diverged.slice(0, 10).map((d) => JSON.stringify(d.key)).join(' ')}${r.diverged.length > 10 ? ' …' : ''}`] : []),
    ...(out ? [`report written to ${out} (repair lost documents: rewind restore --mode missing-only --keys-from ${out} --target-uri <uri>)`] : []),
  ].join('\n') + '\n';
}

export function registerDiffCommand(program: Command, io: CommandIo): Command {
  const command = program
    .command('diff')
    .description('compare the state the archive says a collection had at T with the live collection')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--ns <db.coll>', 'the archived namespace')
    .option('--at <time>', 'point in time: an ISO 8601 time with a zone, or s.i[.n] (default: the latest restorable state)')
    .option('--at-position <s.i[.n]>', 'point in time: an exact position')
    .option('--before-event <id>', 'point in time: just before this event and its transaction')
    .option('--target-uri <uri>', 'the live MongoDB compared (default: --source-uri / REWIND_SOURCE_URI)')
    .option('--source-uri <uri>', 'the captured MongoDB deployment (env REWIND_SOURCE_URI)')
    .option('--live-ns <db.coll>', 'the live namespace, when it has another name (default: --ns)')
    .option('--out <file>', 'write the JSON report here (input of restore --keys-from)')
    .option('--max-keys <n>', 'list at most this many differing keys', positiveInt('--max-keys'), 1_000_000)
    .option('--batch-size <n>', 'live cursor batch size', positiveInt('--batch-size'), 1000)
    .option('--temp-dir <dir>', 'parent folder of temporary sorted runs')
    .option('--json', 'print the whole report as JSON');
  return addOldSpellings(command, OLD).action(async (flags: DiffFlags) => {
    const json = flags.json === true;
    const bar = progressBar('diff', !json);
    const released = stopOnSignal('diff', io);
    try {
      takeOldSpellings('diff', io, flags, OLD);
      const env = io.env ?? process.env;
      const archive = archiveRefFrom(flags.archive, env);
      if (!flags.ns) throw new RestoreError('BAD_OPTIONS', `give --ns <db.coll>, e.g. ${EXAMPLE}`);
      const liveUri = flags.targetUri ?? flags.sourceUri ?? (env.REWIND_SOURCE_URI || undefined);
      const liveUriFrom = flags.targetUri !== undefined ? '--target-uri' : flags.sourceUri !== undefined ? '--source-uri' : 'REWIND_SOURCE_URI';
      if (!liveUri) throw new RestoreError('BAD_OPTIONS', `give --target-uri <uri> (or --source-uri / REWIND_SOURCE_URI), e.g. ${EXAMPLE}`);
      const names: RequestNames = { ns: '--ns', liveUri: liveUriFrom, liveNs: '--live-ns', out: '--out', tempDir: '--temp-dir', at: '--at' };
      const ns = flags.ns;
      const report = await diff({
        archive,
        ns,
        at: pointInTimeFromFlags(flags),
        liveUri,
        ...(flags.liveNs === undefined ? {} : { liveNs: flags.liveNs }),
        ...(flags.out === undefined ? {} : { out: flags.out }),
        ...(flags.maxKeys === undefined ? {} : { maxKeys: flags.maxKeys }),
        ...(flags.batchSize === undefined ? {} : { batchSize: flags.batchSize }),
        ...(flags.tempDir === undefined ? {} : { tempDir: flags.tempDir }),
        names,
        onProgress: (p) => bar.update(ns, p.compared, null),
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

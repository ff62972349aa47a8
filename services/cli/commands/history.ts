/**
 * `rewind history`: every version of one document in the archive (up to
 * `--at`). Flags to the app layer's typed request (services/app/history.ts),
 * the report to text or JSON.
 */
import type { Command } from 'commander';
import { history } from '../../app/index.js';
import type { HistoryResult } from '../../app/index.js';
import { keyFromText } from '../../restore/document-keys.js';
import { RestoreError } from '../../restore/errors.js';
import { stringifyJson } from '../../../contracts/ordered-json.js';
import { archiveRefFrom } from '../archive-ref.js';
import { fail, printJson } from '../command-output.js';
import type { CommandIo } from '../command-output.js';
import { pointInTimeFromFlags } from '../point-in-time-flags.js';
import type { PointInTimeFlags } from '../point-in-time-flags.js';

interface HistoryFlags extends PointInTimeFlags {
  archive?: string;
  ns?: string;
  id?: string;
  json?: boolean;
}

const EXAMPLE = `rewind history --archive /var/lib/rewind/archive --ns shop.orders --id '{"$oid":"64b7f0c2a1b2c3d4e5f60718"}'`;

function human(r: HistoryResult): string {
  const lines = [`${r.ns} _id ${JSON.stringify(r.key)}: ${r.versions.length} version(s)`];
  for (const v of r.versions) {
    const txn = v.transaction ? ` txn ${v.transaction.txnNumber}` : '';
    const what = v.unknown ? `unknown (${v.unknown})` : v.exists ? stringifyJson(v.document) : v.renamedTo ? `gone (renamed to ${v.renamedTo})` : 'absent';
    lines.push(`  ${v.time} ${v.position} ${v.operation}${txn}${v.eventId ? ` [${v.eventId}]` : ''}: ${what}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerHistoryCommand(program: Command, io: CommandIo): Command {
  return program
    .command('history')
    .description('every version of one document in the archive, with time, operation and transaction')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--ns <db.coll>', 'the namespace')
    .option('--id <ejson>', 'the document key: Extended JSON of _id, e.g. \'{"$oid":"…"}\', 42, \'"sku-1"\'')
    .option('--at <time>', 'only the versions up to this point: an ISO 8601 time with a zone, or s.i[.n]')
    .option('--at-position <s.i[.n]>', 'only the versions up to this exact position')
    .option('--before-event <id>', 'only the versions before this event')
    .option('--json', 'print JSON')
    .action(async (flags: HistoryFlags) => {
      const json = flags.json === true;
      try {
        const archive = archiveRefFrom(flags.archive, io.env ?? process.env);
        if (!flags.ns) throw new RestoreError('BAD_OPTIONS', `give --ns <db.coll> (one collection), e.g. ${EXAMPLE}`);
        if (flags.id === undefined) throw new RestoreError('BAD_KEY', `give --id <ejson>, e.g. ${EXAMPLE}`);
        const at = pointInTimeFromFlags(flags);
        const report = await history({ archive, ns: flags.ns, key: keyFromText(flags.id), at, names: { ns: '--ns' } });
        if (json) printJson(io, report);
        else io.stdout(human(report));
      } catch (err) {
        fail(io, 'history', json, err);
      }
    });
}

/**
 * `rewind history`: every version of one document in the archive. Wiring
 * only; the logic lives in services/restore/history.ts.
 */
import { archiveDirFromEnv } from '../archive-dir-env.js';
import type { Command } from 'commander';
import { fail, printJson } from '../../restore/command-output.js';
import type { CommandIo } from '../../restore/command-output.js';
import { keyFromText } from '../../restore/document-keys.js';
import { RestoreError } from '../../restore/errors.js';
import { documentHistory } from '../../restore/history.js';
import type { HistoryReport } from '../../restore/history.js';
import { hasWildcard, validateNamespaceName } from '../../restore/namespace-scope.js';
import { openArchive } from '../../restore/open-archive.js';
import { stringifyJson } from '../../../contracts/ordered-json.js';

interface HistoryFlags {
  archive?: string;
  ns?: string;
  id?: string;
  json?: boolean;
}

function human(r: HistoryReport): string {
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
    .option('--archive <dir>', 'archive folder (env REWIND_ARCHIVE_DIR)')
    .option('--ns <db.coll>', 'the namespace')
    .option('--id <ejson>', 'the document key: Extended JSON of _id, e.g. \'{"$oid":"…"}\', 42, \'"sku-1"\'')
    .option('--json', 'print JSON')
    .action(async (flags: HistoryFlags) => {
      const json = flags.json === true;
      try {
        const archiveDir = flags.archive ?? archiveDirFromEnv(io.env);
        if (!archiveDir) throw new RestoreError('BAD_OPTIONS', 'give --archive <dir> (or REWIND_ARCHIVE_DIR)');
        if (!flags.ns || hasWildcard(flags.ns)) throw new RestoreError('BAD_OPTIONS', 'give --ns <db.coll> (one collection)');
        validateNamespaceName(flags.ns, '--ns');
        if (flags.id === undefined) throw new RestoreError('BAD_KEY', 'give --id <ejson>');
        const key = keyFromText(flags.id);
        const { store, catalog } = await openArchive(archiveDir);
        const report = await documentHistory({ store, catalog, ns: flags.ns, key });
        if (json) printJson(io, report);
        else io.stdout(human(report));
      } catch (err) {
        fail(io, 'history', json, err);
      }
    });
}

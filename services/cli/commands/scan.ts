/**
 * `rewind scan`: the recovery report (services/app/scan.ts). Wiring and
 * formatting only. Exit codes: 0 status success, 3 partial (problems found
 * that the recommendations repair), 4 failed (the database or the archive
 * cannot be read, or the archive cannot repair what was found); a wrong
 * command line fails before anything is read (program.ts prints it).
 */
import { basename, dirname, resolve } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { CommanderError, InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import type { RecoveryReport } from '../../../contracts/recovery-report.js';
import { stringifyJson } from '../../../contracts/ordered-json.js';
import { RecoveryError } from '../../app/recovery-errors.js';
import { runScan } from '../../app/scan.js';
import { archiveDirFromEnv } from '../archive-dir-env.js';
import { repeatable } from '../flag-vocabulary.js';
import { stopOnSignal } from './stop-on-signal.js';
import type { CommandIo } from './archive-output.js';

interface ScanFlags {
  archive?: string;
  sourceUri?: string;
  db?: string;
  path: string[];
  glob: string[];
  maxDepth?: number;
  out?: string;
  dryRun?: boolean;
  samples?: number;
  connectTimeoutMs?: number;
  json?: boolean;
}

export const SCAN_EXIT = { success: 0, partial: 3, failed: 4 } as const;

const count = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number (0 or more)`);
  return n;
};
const n = (v: number) => v.toLocaleString('en-US');

/** When the last verify ran, as its record says (its time field), or that none is recorded. */
function verifiedAt(record: Record<string, unknown> | null): string {
  if (!record) return 'never recorded';
  const at = ['at', 'checkedAt', 'finishedAt', 'verifiedAt'].map((k) => record[k]).find((v) => typeof v === 'string');
  return typeof at === 'string' ? at : 'recorded';
}

function human(r: RecoveryReport, out: string | undefined): string {
  const s = r.summary;
  const lines = [`recovery report ${r.timestamp}: ${s.status.toUpperCase()}${r.dry_run ? ' (dry run)' : ''}`];
  for (const reason of s.status_reasons) lines.push(`  - ${reason}`);
  const d = r.database;
  lines.push(
    d.uri === null
      ? 'database: none given'
      : `database ${d.name ?? '(all)'} at ${d.uri}: ${d.connected ? `connected, ${Object.keys(d.collections).length} collection(s), ${n(d.total_found)} document(s)` : 'NOT CONNECTED'}`,
  );
  for (const [coll, c] of Object.entries(d.collections)) lines.push(`  ${coll}  ${n(c)}`);
  const a = r.archive;
  if (!a) lines.push('archive: none given');
  else if (!a.readable) lines.push(`archive ${a.location}: UNREADABLE: ${a.error ?? ''}`);
  else {
    lines.push(`archive ${a.location}: ${a.window ? `restorable ${a.window.earliest.text} → ${a.window.latest.text}` : 'no restorable state yet'}, lag ${a.lag_seconds === null ? '-' : `${n(a.lag_seconds)} s`}`);
    lines.push(`  snapshots ${a.snapshots.count}${a.snapshots.named.length ? ` (named: ${a.snapshots.named.map((x) => x.name).join(', ')})` : ''}, gaps ${a.gaps.length} (${a.open_gaps} open), last verify ${verifiedAt(a.last_verify)}`);
    for (const g of a.gaps) lines.push(`  ${g.open ? 'OPEN ' : ''}gap after ${g.from}${g.to ? ` until ${g.to}` : ''}: ${g.reason}`);
  }
  const m = r.missing;
  if (m.skipped !== null) lines.push(`missing: not compared (${m.skipped})`);
  else {
    lines.push(`missing: the archive at ${m.at?.text ?? '-'} against the live collections`);
    for (const [ns, x] of Object.entries(m.namespaces)) {
      const sample = x.samples.missing.slice(0, 5).map((k) => JSON.stringify(k)).join(' ');
      lines.push(`  ${ns}: ${n(x.archive_count)} archived, ${n(x.live_count)} live; missing ${n(x.missing)}, unexpected ${n(x.unexpected)}, diverged ${n(x.diverged)}${sample ? ` (missing e.g. ${sample})` : ''}${x.keys_file ? `; keys in ${x.keys_file}` : ''}`);
    }
  }
  const f = r.filesystem;
  lines.push(`backup files: ${f.total_found} found, ${n(f.total_records)} record(s), under ${f.roots.join(', ')} (depth ≤ ${f.max_depth})`);
  for (const b of f.backups) {
    lines.push(`  ${b.format}  ${b.path}  ${b.record_count === null ? '? records' : `${n(b.record_count)} record(s)`}  checksum ${b.checksum.status}${b.problem ? `  PROBLEM: ${b.problem}` : ''}`);
  }
  for (const u of f.unreadable) lines.push(`  UNREADABLE ${u.path}: ${u.problem} (${u.code})`);
  for (const k of f.skipped) lines.push(`  not followed ${k.path}: ${k.reason}${k.target ? ` → ${k.target}` : ''}`);
  lines.push(`total recoverable records: ${n(s.total_recovered)}`);
  if (s.recommendations.length) lines.push('recommendations:');
  for (const rec of s.recommendations) lines.push(`  ${rec.command}`, `      ${rec.reason}`);
  if (s.errors.length) lines.push('errors:');
  for (const e of s.errors) lines.push(`  ${e.where}: ${e.code}: ${e.message}${e.retryable ? ' (retrying may help)' : ''}`);
  if (out) lines.push(`report written to ${out}`);
  return `${lines.join('\n')}\n`;
}

export function registerScanCommand(program: Command, io: CommandIo): Command {
  return program
    .command('scan')
    .description('the recovery report: live collections, backup files on disk, the archive’s window and gaps, missing documents, and the commands that repair them')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--source-uri <uri>', 'the live (captured) MongoDB deployment (env REWIND_SOURCE_URI)')
    .option('--db <name>', 'the database to scan (default: the URI’s, else all)')
    .addOption(repeatable('--path <dir>', 'a folder to search for backup files; repeatable', 'the working folder'))
    .addOption(repeatable('--glob <pattern>', 'which files count as backups, relative to a --path; repeatable', 'backup*.json, export*.json, *_data.json, CSV, NDJSON, BSON at any depth'))
    .option('--max-depth <n>', 'folder levels searched below each --path', count('--max-depth'), 8)
    .option('--out <file>', 'write the JSON report here, and beside it one key list per namespace that differs (what restore --keys-from reads)')
    .option('--dry-run', 'report only: write no key lists (the database is never written to)')
    .option('--samples <n>', 'sample keys per namespace and kind in the report', count('--samples'), 10)
    .option('--connect-timeout-ms <ms>', 'how long to try reaching the live database', count('--connect-timeout-ms'), 10_000)
    .option('--json', 'print the report as JSON')
    .action(async (flags: ScanFlags) => {
      const env = io.env ?? process.env;
      const released = stopOnSignal('scan', io);
      try {
        const out = flags.out === undefined ? undefined : resolve(flags.out);
        const archive = flags.archive ?? archiveDirFromEnv(env);
        const sourceUri = flags.sourceUri ?? (env.REWIND_SOURCE_URI || undefined);
        const report = await runScan({
          ...(archive === undefined ? {} : { archive }),
          ...(sourceUri === undefined ? {} : { sourceUri }),
          ...(flags.db === undefined ? {} : { database: flags.db }),
          roots: flags.path.length > 0 ? flags.path : [process.cwd()],
          globs: flags.glob,
          ...(flags.maxDepth === undefined ? {} : { maxDepth: flags.maxDepth }),
          dryRun: flags.dryRun === true,
          ...(out ? { keyFiles: { dir: dirname(out), prefix: `${basename(out).replace(/\.json$/i, '')}.` }, diffDir: dirname(out) } : {}),
          ...(flags.samples === undefined ? {} : { sampleLimit: flags.samples }),
          ...(flags.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: flags.connectTimeoutMs }),
        });
        if (out) {
          try {
            await writeFile(out, `${stringifyJson(report, 2)}\n`);
          } catch (cause) {
            throw new RecoveryError('OUTPUT_IO', `cannot write the report to ${out}: ${(cause as Error).message}`, { cause });
          }
        }
        io.stdout(flags.json === true ? `${stringifyJson(report, 2)}\n` : human(report, out));
        const code = SCAN_EXIT[report.summary.status];
        if (code !== 0) throw new CommanderError(code, `rewind.scan.${report.summary.status}`, `scan status ${report.summary.status}`);
      } finally {
        released();
      }
    });
}

/**
 * The summary of a recovery report: its status, the rules that decided it,
 * and recommendations that are commands to run (argv for `rewind`, and the
 * same shell-quoted), each repairing or checking one thing the scan found.
 *
 * Status (docs/recovery-workflow.md):
 * - failed: the scan could not do its job or found something it cannot
 *   repair: the live database could not be reached (or none was given), the
 *   archive's catalog cannot be read, or the archive's latest state cannot be
 *   read (a damaged or missing file in it).
 * - partial: it found problems that can be repaired or need a look:
 *   documents missing, unexpected or diverged in a namespace, an open gap in
 *   the archive, an archive with no restorable state yet, no archive given
 *   (nothing can be compared), the last verify found damage, or backup files
 *   that are unreadable, fail their checksum or do not parse.
 * - success: none of these: the database was read, the archive is readable
 *   with no open gap, and every archived namespace matches the live one.
 * Lag is reported but does not decide the status (`rewind status` has the
 * thresholds for it).
 *
 * Recommendations use the shared vocabulary (`--target-uri` for restore and
 * diff, `--source-uri` for up). A URI with a password is never written into a command:
 * the in-place restore then reads REWIND_SOURCE_URI, as restore does without
 * --target.
 */
import type { ArchiveSection, DatabaseSection, FilesystemSection, MissingSection, Recommendation, ReportError, SummarySection } from '../../contracts/recovery-report.js';

/** Flags of the existing commands, in one place. */
const FLAGS = { restoreTarget: '--target-uri', diffLive: '--target-uri', upSource: '--source-uri' } as const;

export interface SummaryInput {
  archive: string | null;
  /** The live URI as given (never printed when it holds a password). */
  sourceUri: string | null;
  dryRun: boolean;
  /** Where a dry run's recommended diff would write its report: `<dir>/<ns>.diff.json`. */
  diffDir: string;
  database: DatabaseSection;
  filesystem: FilesystemSection;
  archiveSection: ArchiveSection | null;
  missing: MissingSection;
  errors: ReportError[];
}

/** POSIX shell quoting: bare when safe, else single quotes. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function command(id: string, reason: string, argv: string[], ns?: string): Recommendation {
  return { id, reason, command: ['rewind', ...argv].map(shellQuote).join(' '), argv, ...(ns ? { ns } : {}) };
}

const hasPassword = (uri: string) => /^mongodb(?:\+srv)?:\/\/[^@/]*:[^@/]*@/.test(uri);

/** How a recommended command names the live deployment: the URI, or nothing (REWIND_SOURCE_URI) when it holds a password. */
function liveFlags(flag: string, uri: string | null): { argv: string[]; note: string } {
  if (uri === null || hasPassword(uri)) return { argv: [], note: ' (with REWIND_SOURCE_URI set to the live deployment)' };
  return { argv: [flag, uri], note: '' };
}

function recommendations(i: SummaryInput): Recommendation[] {
  const out: Recommendation[] = [];
  const a = i.archive;
  if (a === null) {
    const live = liveFlags(FLAGS.upSource, i.sourceUri);
    out.push(command('start-capture', `no archive was given, so missing records cannot be found or restored: start capturing into one${live.note}`, ['up', ...live.argv, '--archive', '<archive-dir>']));
    return out;
  }
  const arch = i.archiveSection;
  if (arch?.readable && arch.open_gaps > 0) {
    out.push(command('check-gaps', `the archive has ${arch.open_gaps} open gap(s): history after them is lost until capture takes a new initial copy; see them here and restart capture`, ['status', '--archive', a]));
  }
  if (arch?.readable && arch.last_verify === null) {
    out.push(command('verify-archive', 'the archive has no recorded verification: check every file it holds', ['verify', '--archive', a]));
  }
  for (const [ns, m] of Object.entries(i.missing.namespaces)) {
    const restoreLive = liveFlags(FLAGS.restoreTarget, i.sourceUri);
    let keys = m.keys_file;
    if (m.missing + m.diverged + m.unexpected > 0 && keys === null) {
      // A dry run wrote no key list: the diff writes it, then the restore reads it.
      keys = `${i.diffDir.replace(/\/$/, '')}/${ns}.diff.json`;
      const diffLive = liveFlags(FLAGS.diffLive, i.sourceUri);
      out.push(command('diff-namespace', `list every differing key of ${ns} into ${keys}${diffLive.note}`, ['diff', '--archive', a, '--ns', ns, ...diffLive.argv, '--out', keys], ns));
    }
    if (keys === null) continue;
    if (m.missing > 0) {
      out.push(
        command(
          'restore-missing',
          `${m.missing} document(s) of ${ns} are in the archive's latest state but not live: put back exactly those (missing-only inserts absent documents and never touches existing ones; --yes-overwrite-source confirms writing into the source)${restoreLive.note}`,
          ['restore', '--archive', a, '--keys-from', keys, '--mode', 'missing-only', ...restoreLive.argv, '--yes-overwrite-source'],
          ns,
        ),
      );
    }
    if (m.diverged + m.unexpected > 0) {
      out.push(
        command(
          'review-diverged',
          `${m.diverged} document(s) of ${ns} differ from the archive and ${m.unexpected} are not in it: this dry run shows what overwriting them with the archive's state would change (it writes nothing; without --dry-run it replaces and deletes them)${restoreLive.note}`,
          ['restore', '--archive', a, '--keys-from', keys, '--mode', 'overwrite', '--dry-run', ...restoreLive.argv, '--yes-overwrite-source'],
          ns,
        ),
      );
    }
  }
  return out;
}

export function summarize(i: SummaryInput): SummarySection {
  const failed: string[] = [];
  const partial: string[] = [];
  const db = i.database;
  if (db.uri === null) failed.push('no live database was given (--source-uri or REWIND_SOURCE_URI)');
  else if (!db.connected) failed.push(`the live database could not be reached: ${db.error ?? ''}`);
  else if (db.error) partial.push(`the live database could not be read whole: ${db.error}`);
  const arch = i.archiveSection;
  if (i.archive === null) partial.push('no archive was given: missing records cannot be looked for');
  else if (!arch?.readable) failed.push(`the archive cannot be read: ${arch?.error ?? 'unknown error'}`);
  else {
    if (arch.open_gaps > 0) partial.push(`the archive has ${arch.open_gaps} open gap(s)`);
    if (!arch.window) partial.push('the archive holds no restorable state yet (no base snapshot)');
    const problems = (arch.last_verify as { problems?: unknown } | null)?.problems;
    if (Array.isArray(problems) && problems.length > 0) partial.push(`the last verify found ${problems.length} bad file(s)`);
  }
  const missingError = i.errors.find((e) => e.where === 'missing');
  if (missingError) failed.push(`the archive's latest state cannot be read: ${missingError.message}`);
  for (const [ns, m] of Object.entries(i.missing.namespaces)) {
    if (m.missing + m.unexpected + m.diverged > 0) partial.push(`${ns}: ${m.missing} missing, ${m.unexpected} unexpected, ${m.diverged} diverged`);
  }
  const fs = i.filesystem;
  const badSums = fs.backups.filter((b) => b.checksum.status === 'invalid');
  const broken = fs.backups.filter((b) => b.problem !== undefined);
  if (fs.unreadable.length > 0) partial.push(`${fs.unreadable.length} path(s) of the backup search cannot be read`);
  if (badSums.length > 0) partial.push(`${badSums.length} backup file(s) fail their checksum: ${badSums.map((b) => b.path).join(', ')}`);
  if (broken.length > 0) partial.push(`${broken.length} backup file(s) cannot be read whole as their format`);

  const fromArchive = Object.values(i.missing.namespaces).reduce((n, m) => n + m.archive_count, 0);
  const fromFiles = fs.backups.filter((b) => b.checksum.status !== 'invalid' && b.problem === undefined).reduce((n, b) => n + (b.record_count ?? 0), 0);
  const status = failed.length > 0 ? 'failed' : partial.length > 0 ? 'partial' : 'success';
  return {
    total_recovered: fromArchive + fromFiles,
    status,
    status_reasons: status === 'success' ? ['the database was read, the archive is readable with no open gap, and every archived namespace matches the live one'] : [...failed, ...partial],
    recommendations: recommendations(i),
    errors: i.errors,
  };
}

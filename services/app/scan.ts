/**
 * The scan job (`rewind scan`, `GET /api/recovery?action=scan[&dryRun=true]`):
 * the recovery report (contracts/recovery-report.ts). It reads the live
 * database (collections and counts), the filesystem (backup files under the
 * given roots: scan-files.ts, scan-formats.ts), the archive (window, gaps,
 * lag, snapshots, last verify) and compares the archive's latest state with
 * the live namespaces (scan-archive.ts), then decides a status and
 * recommends commands (scan-summary.ts).
 *
 * It never writes to a database. Outside a dry run it writes one file per
 * namespace that differs, when asked (`keyFiles`): the diff report that
 * `rewind restore --keys-from` reads, so the recommended restore is one
 * command; a dry run writes nothing and recommends the diff that writes it.
 * A problem met in one part is recorded in `summary.errors` and the other
 * parts still run; only a wrong request throws (before anything is read).
 */
import { resolve } from 'node:path';
import { RECOVERY_REPORT_KIND, recoveryReportSchema } from '../../contracts/recovery-report.js';
import type { ArchiveSection, BackupFile, FilesystemSection, MissingSection, RecoveryReport, ReportError } from '../../contracts/recovery-report.js';
import { archiveAccessFromEnv } from '../../contracts/runtime-config.js';
import { openArchiveAt } from '../archive/index.js';
import type { ArchiveAccess } from '../archive/index.js';
import { checkExistingFolder, refuseInsideArchive } from '../restore/local-paths.js';
import { RecoveryError, throwIfAborted } from './recovery-errors.js';
import { archiveSection, findMissing, problemOf, unreadableArchive } from './scan-archive.js';
import type { ReportProblem } from './scan-archive.js';
import { scanDatabase } from './scan-database.js';
import { DEFAULT_SCAN_GLOBS, DEFAULT_SCAN_MAX_DEPTH, searchBackupFiles } from './scan-files.js';
import { DEFAULT_MAX_PARSE_BYTES, describeDump, describeFile } from './scan-formats.js';
import { summarize } from './scan-summary.js';

export interface ScanProgress {
  phase: 'database' | 'filesystem' | 'archive' | 'missing' | 'done';
  detail: string;
  /** missing: the namespace being compared and the documents compared so far. */
  ns?: string;
  compared?: number;
}

export interface ScanRequest {
  /** Archive folder or s3://bucket/prefix; absent: no archive section, nothing compared. */
  archive?: string;
  access?: ArchiveAccess;
  /** The live deployment (the captured source). */
  sourceUri?: string;
  /** The database to scan (default: the URI's path, else every database). */
  database?: string;
  /** Folders to search for backup files (each one a boundary the search never leaves). */
  roots: readonly string[];
  globs?: readonly string[];
  maxDepth?: number;
  maxParseBytes?: number;
  /** Report only: no key files are written (the API's dryRun). The database is only ever read. */
  dryRun: boolean;
  /** Write each differing namespace's diff report as `<dir>/<prefix><ns>.diff.json` (not on a dry run). */
  keyFiles?: { dir: string; prefix: string };
  /** Where a dry run's recommended `rewind diff` writes its report (default: the working folder). */
  diffDir?: string;
  /** Sample keys per kind and namespace in the report (default 10). */
  sampleLimit?: number;
  /** Keys a key file lists at most (default 1,000,000). */
  maxKeys?: number;
  connectTimeoutMs?: number;
  tempDir?: string;
  signal?: AbortSignal;
  onProgress?: (event: ScanProgress) => void;
  now?: () => Date;
}

const entry = (where: ReportError['where'], p: ReportProblem): ReportError => ({ code: p.code, where, message: p.message, retryable: p.retryable });

async function scanFilesystem(req: ScanRequest, errors: ReportError[]): Promise<FilesystemSection> {
  const globs = [...(req.globs && req.globs.length > 0 ? req.globs : DEFAULT_SCAN_GLOBS)];
  const maxDepth = req.maxDepth ?? DEFAULT_SCAN_MAX_DEPTH;
  const found = await searchBackupFiles({ roots: req.roots, globs, maxDepth, ...(req.signal ? { signal: req.signal } : {}), onFolder: (path) => req.onProgress?.({ phase: 'filesystem', detail: path }) });
  const backups: BackupFile[] = [];
  const unreadable = [...found.unreadable];
  for (const file of found.files) {
    throwIfAborted(req.signal, 'scan');
    try {
      backups.push(await describeFile(file, req.maxParseBytes ?? DEFAULT_MAX_PARSE_BYTES));
    } catch (err) {
      const p = problemOf(err);
      unreadable.push({ path: file.path, code: (err as NodeJS.ErrnoException).code ?? p.code, problem: p.message });
    }
  }
  for (const dump of found.dumps) {
    try {
      backups.push(await describeDump(dump));
    } catch (err) {
      unreadable.push({ path: dump.path, code: (err as NodeJS.ErrnoException).code ?? 'EIO', problem: problemOf(err).message });
    }
  }
  backups.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const u of unreadable) errors.push({ code: 'BACKUP_FILE_UNREADABLE', where: 'filesystem', message: `${u.path}: ${u.problem} (${u.code})`, retryable: false });
  for (const b of backups) {
    if (b.checksum.status === 'invalid') {
      errors.push({ code: 'BACKUP_CHECKSUM_MISMATCH', where: 'filesystem', message: `${b.path}: metadata.checksum is ${b.checksum.expected ?? ''}, the content's is ${b.checksum.actual ?? ''}: the file was changed or damaged`, retryable: false });
    }
  }
  return {
    roots: found.roots,
    globs,
    max_depth: maxDepth,
    backups,
    total_found: backups.length,
    total_records: backups.reduce((n, b) => n + (b.record_count ?? 0), 0),
    unreadable,
    skipped: found.skipped,
  };
}

export async function runScan(req: ScanRequest): Promise<RecoveryReport> {
  const now = req.now ?? (() => new Date());
  const timestamp = now().toISOString();
  // The request first: a wrong path is named before anything is read.
  if (req.roots.length === 0) throw new RecoveryError('BAD_OPTIONS', 'give at least one folder to search (--path <dir>)');
  const keyFiles = req.dryRun || !req.keyFiles ? undefined : { dir: await checkExistingFolder(req.keyFiles.dir, '--out'), prefix: req.keyFiles.prefix };
  if (keyFiles && req.archive) await refuseInsideArchive(keyFiles.dir, '--out', req.archive);
  const opened = req.archive === undefined ? null : openArchiveAt(req.archive, req.access ?? archiveAccessFromEnv());
  const errors: ReportError[] = [];
  throwIfAborted(req.signal, 'scan');

  req.onProgress?.({ phase: 'database', detail: 'counting the live collections' });
  const live = await scanDatabase(req.sourceUri, req.database, req.connectTimeoutMs ?? 10_000);
  if (live.error) errors.push(entry('database', live.error));
  try {
    throwIfAborted(req.signal, 'scan');
    req.onProgress?.({ phase: 'filesystem', detail: `searching ${req.roots.join(', ')}` });
    const filesystem = await scanFilesystem(req, errors);

    let archive: ArchiveSection | null = null;
    let missing: MissingSection = { at: null, sample_limit: req.sampleLimit ?? 10, namespaces: {}, skipped: 'no archive was given' };
    if (opened) {
      throwIfAborted(req.signal, 'scan');
      req.onProgress?.({ phase: 'archive', detail: `reading the catalog of ${opened.root}` });
      let catalog;
      try {
        catalog = await opened.catalog.read();
      } catch (err) {
        const u = unreadableArchive(opened.root, err);
        archive = u.section;
        errors.push(entry('archive', u.problem));
        missing = { ...missing, skipped: 'the archive cannot be read' };
      }
      if (catalog) {
        const a = await archiveSection(opened.root, opened.store, catalog, now().getTime());
        archive = a.section;
        for (const p of a.problems) errors.push(entry('archive', p));
        if (!live.client) missing = { ...missing, skipped: 'the live database was not reached' };
        else {
          req.onProgress?.({ phase: 'missing', detail: 'comparing the archive’s latest state with the live collections' });
          const found = await findMissing({
            store: opened.store,
            catalog,
            client: live.client,
            database: live.section.name,
            sampleLimit: req.sampleLimit ?? 10,
            maxKeys: req.maxKeys ?? 1_000_000,
            ...(keyFiles ? { keyFiles } : {}),
            ...(req.tempDir ? { tempDir: req.tempDir } : {}),
            ...(req.signal ? { signal: req.signal } : {}),
            onNamespace: (ns, compared) => req.onProgress?.({ phase: 'missing', detail: ns, ns, compared }),
          });
          missing = found.section;
          if (found.problem) errors.push(entry('missing', found.problem));
        }
      }
    }

    const summary = summarize({
      archive: opened ? opened.root : null,
      sourceUri: req.sourceUri ?? null,
      dryRun: req.dryRun,
      diffDir: resolve(req.diffDir ?? '.'),
      database: live.section,
      filesystem,
      archiveSection: archive,
      missing,
      errors,
    });
    const report: RecoveryReport = { kind: RECOVERY_REPORT_KIND, version: 1, timestamp, dry_run: req.dryRun, database: live.section, filesystem, archive, missing, summary };
    req.onProgress?.({ phase: 'done', detail: summary.status });
    // The contract the API serves: a report that breaks it is a bug here, caught before anyone reads it.
    return recoveryReportSchema.parse(report);
  } finally {
    await live.client?.close().catch(() => undefined);
  }
}

/**
 * The recovery report of `rewind scan` and of `GET /api/recovery?action=scan`
 * (one schema: the CLI prints it with --json, the API serves it and OpenAPI is
 * generated from it).
 *
 * It keeps the shape of the seed application's report — `timestamp`;
 * `database {connected, name, collections, total_found}`; `filesystem
 * {backups: [{path, name, size, modified, record_count, …}], total_found}`;
 * `summary {total_recovered, status, recommendations, errors}` — with its
 * snake_case names, and adds `archive` (window, gaps, lag, last verify) and
 * `missing` (per namespace, from diff). Status rules: docs/recovery-workflow.md
 * and services/app/scan-summary.ts.
 */
import { z } from 'zod';

export const RECOVERY_REPORT_KIND = 'rewind-recovery-report';

/** A position as people and machines read it (services/archive catalog-summary.ts PositionView). */
export const positionViewSchema = z.strictObject({
  position: z.string(),
  time: z.string(),
  text: z.string(),
});

export const BACKUP_FILE_FORMATS = [
  /** `{timestamp, version, source, collections: {name: [records]}, metadata: {…, checksum}}`. */
  'backup-json',
  /** JSON the seed's record extraction accepts: an array, {data|records|items|conversations|messages: […]}, {collections: {name: […]}} or one record. */
  'record-json',
  /** `mongoexport --jsonArray`: an array of Extended JSON documents. */
  'mongoexport-json',
  /** One Extended JSON document per line (mongoexport's default output). */
  'ndjson',
  /** One Extended JSON change event per line. */
  'ndjson-change-events',
  'csv',
  /** A mongodump folder: `coll.bson` (or `.bson.gz`) beside `coll.metadata.json`. */
  'mongodump',
  /** A BSON file of raw change events, as a change stream returns them. */
  'bson-change-events',
  /** A BSON file of documents without a mongodump layout. */
  'bson',
  'unknown',
] as const;
export type BackupFileFormat = (typeof BACKUP_FILE_FORMATS)[number];

export const checksumCheckSchema = z.strictObject({
  /**
   * valid / invalid: the file's own checksum (a backup JSON's metadata.checksum, contracts/backup-checksum.ts)
   * held or not; absent: the format has room for one but the file has none; not-applicable: the format
   * carries none; unchecked: the file was not read whole (too large, or not parseable).
   */
  status: z.enum(['valid', 'invalid', 'absent', 'not-applicable', 'unchecked']),
  expected: z.string().optional(),
  actual: z.string().optional(),
  reason: z.string().optional(),
});

export const backupFileSchema = z.strictObject({
  path: z.string(),
  name: z.string(),
  size: z.number().int().nonnegative(),
  modified: z.string(),
  /** Records (documents, rows, events) the file holds; null when it could not be counted. */
  record_count: z.number().int().nonnegative().nullable(),
  format: z.enum(BACKUP_FILE_FORMATS),
  kind: z.enum(['file', 'folder']),
  checksum: checksumCheckSchema,
  /** Records per collection, where the format names collections (backup JSON, mongodump). */
  collections: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** Why the file could not be read as its format (it is still listed). */
  problem: z.string().optional(),
});

export const databaseSectionSchema = z.strictObject({
  connected: z.boolean(),
  /** The database scanned; null when every database of the deployment was (collections are then `db.coll`). */
  name: z.string().nullable(),
  /** The live deployment's URI without its password; null when none was given. */
  uri: z.string().nullable(),
  collections: z.record(z.string(), z.number().int().nonnegative()),
  total_found: z.number().int().nonnegative(),
  error: z.string().optional(),
});

export const filesystemSectionSchema = z.strictObject({
  roots: z.array(z.string()),
  globs: z.array(z.string()),
  max_depth: z.number().int().nonnegative(),
  backups: z.array(backupFileSchema),
  /** Backup files and folders found. */
  total_found: z.number().int().nonnegative(),
  /** Records in them (those that could be counted). */
  total_records: z.number().int().nonnegative(),
  /** Matching paths that could not be read (permissions, broken links…). */
  unreadable: z.array(z.strictObject({ path: z.string(), code: z.string(), problem: z.string() })),
  /** Paths not followed: a link leaving the roots, a link loop, a folder past the depth bound. */
  skipped: z.array(z.strictObject({ path: z.string(), reason: z.enum(['link-outside-roots', 'link-loop', 'depth-limit']), target: z.string().optional() })),
});

export const archiveSectionSchema = z.strictObject({
  location: z.string(),
  readable: z.boolean(),
  source_id: z.string().nullable(),
  window: z.strictObject({ earliest: positionViewSchema, latest: positionViewSchema }).nullable(),
  durable: positionViewSchema.nullable(),
  /** Seconds between the report's time and the durable point's cluster time; null before the first commit. */
  lag_seconds: z.number().nonnegative().nullable(),
  gaps: z.array(z.strictObject({ from: z.string(), to: z.string().optional(), reason: z.string(), recorded_at: z.string(), open: z.boolean() })),
  open_gaps: z.number().int().nonnegative(),
  snapshots: z.strictObject({
    count: z.number().int().nonnegative(),
    newest: z.strictObject({ id: z.string(), name: z.string().optional(), kind: z.string(), position: positionViewSchema }).nullable(),
    named: z.array(z.strictObject({ name: z.string(), id: z.string(), position: positionViewSchema })),
  }),
  /** The last `rewind verify` result the archive recorded; null when none is recorded. */
  last_verify: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().optional(),
});

export const namespaceMissingSchema = z.strictObject({
  live_ns: z.string(),
  archive_count: z.number().int().nonnegative(),
  live_count: z.number().int().nonnegative(),
  identical: z.number().int().nonnegative(),
  /** In the archive's state, absent live. */
  missing: z.number().int().nonnegative(),
  /** Live, absent from the archive's state. */
  unexpected: z.number().int().nonnegative(),
  /** On both sides with other contents. */
  diverged: z.number().int().nonnegative(),
  /** Canonical Extended JSON of the first differing _ids (at most `sample_limit` of each kind). */
  samples: z.strictObject({ missing: z.array(z.unknown()), unexpected: z.array(z.unknown()), diverged: z.array(z.unknown()) }),
  /** The `rewind diff` report with every differing key (input of restore --keys-from); null when none was written. */
  keys_file: z.string().nullable(),
  /** More keys differed than the key list holds. */
  truncated: z.boolean(),
});

export const missingSectionSchema = z.strictObject({
  /** The archive state compared: its latest restorable point; null when no comparison was made. */
  at: positionViewSchema.nullable(),
  sample_limit: z.number().int().nonnegative(),
  namespaces: z.record(z.string(), namespaceMissingSchema),
  /** Why no comparison was made (no archive, no database…); null when it was. */
  skipped: z.string().nullable(),
});

export const recommendationSchema = z.strictObject({
  /** Stable: restore-missing, review-diverged, start-capture, verify-archive, check-gaps, diff-namespace. */
  id: z.string(),
  reason: z.string(),
  /** The command to run, shell-quoted. */
  command: z.string(),
  /** The same command as arguments of `rewind` (without the program name). */
  argv: z.array(z.string()),
  ns: z.string().optional(),
});

export const reportErrorSchema = z.strictObject({
  code: z.string(),
  where: z.enum(['database', 'filesystem', 'archive', 'missing']),
  message: z.string(),
  retryable: z.boolean(),
});

export const summarySectionSchema = z.strictObject({
  /** Records the report found a way to recover: the archive's latest state plus readable backup files whose checksum does not fail. */
  total_recovered: z.number().int().nonnegative(),
  status: z.enum(['success', 'partial', 'failed']),
  /** One line per rule that decided the status. */
  status_reasons: z.array(z.string()),
  recommendations: z.array(recommendationSchema),
  errors: z.array(reportErrorSchema),
});

export const recoveryReportSchema = z.strictObject({
  kind: z.literal(RECOVERY_REPORT_KIND),
  version: z.literal(1),
  timestamp: z.string(),
  dry_run: z.boolean(),
  database: databaseSectionSchema,
  filesystem: filesystemSectionSchema,
  archive: archiveSectionSchema.nullable(),
  missing: missingSectionSchema,
  summary: summarySectionSchema,
});

export type PositionView = z.infer<typeof positionViewSchema>;
export type ChecksumCheck = z.infer<typeof checksumCheckSchema>;
export type BackupFile = z.infer<typeof backupFileSchema>;
export type DatabaseSection = z.infer<typeof databaseSectionSchema>;
export type FilesystemSection = z.infer<typeof filesystemSectionSchema>;
export type ArchiveSection = z.infer<typeof archiveSectionSchema>;
export type NamespaceMissing = z.infer<typeof namespaceMissingSchema>;
export type MissingSection = z.infer<typeof missingSectionSchema>;
export type Recommendation = z.infer<typeof recommendationSchema>;
export type ReportError = z.infer<typeof reportErrorSchema>;
export type SummarySection = z.infer<typeof summarySectionSchema>;
export type RecoveryReport = z.infer<typeof recoveryReportSchema>;
export type ScanStatus = SummarySection['status'];

/**
 * The archive half of `rewind scan`: what the archive can restore (window,
 * durable point, lag, gaps, snapshots with their names, the last verify), and
 * what is missing live: the archive's latest restorable state of each
 * namespace compared with the live collection of the same name by the diff
 * of services/restore (diff.ts: missing, unexpected and diverged, by exact
 * bytes). One fold of the archive serves every namespace.
 *
 * Per namespace with differences, the full diff report (the file `rewind diff
 * --out` writes, the input of `rewind restore --keys-from`) is written when the
 * request asks for key files; a dry run writes none.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MongoClient } from 'mongodb';
import { parsePosition } from '../../contracts/position.js';
import type { Catalog } from '../../contracts/catalog.js';
import type { ArchiveSection, MissingSection, PositionView } from '../../contracts/recovery-report.js';
import { readWhole, summarizeCatalog } from '../archive/index.js';
import type { BlobStore } from '../archive/index.js';
import { openStateAt } from '../restore/archive-state.js';
import { diffNamespace } from '../restore/diff.js';
import type { DiffReport } from '../restore/diff.js';
import { isRewindError, messageWithoutCode } from '../../contracts/errors.js';
import { toRestoreError } from '../restore/translate-errors.js';
import { targetCollection } from '../restore/target-collections.js';
import { RecoveryError } from './recovery-errors.js';

/** Where `rewind verify` records its last result (services/archive verify-record.ts, beside the catalog). */
const VERIFY_RECORD_FILE = 'verify.json';

export interface ReportProblem {
  code: string;
  message: string;
  retryable: boolean;
}

/** Any error as a report entry: a RewindError keeps its code and retryable flag; anything else is INTERNAL (a bug). */
export function problemOf(err: unknown): ReportProblem {
  const e = toRestoreError(err);
  if (isRewindError(e)) return { code: e.code, message: messageWithoutCode(e.message, e.code), retryable: e.retryable };
  return { code: 'INTERNAL', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err), retryable: false };
}

/** The last verify record as the archive holds it; null when never verified or unreadable (problem says which). */
async function lastVerify(store: BlobStore): Promise<{ record: Record<string, unknown> | null; problem?: string }> {
  if (!(await store.exists(VERIFY_RECORD_FILE).catch(() => false))) return { record: null };
  try {
    const json: unknown = JSON.parse((await readWhole(store, VERIFY_RECORD_FILE)).toString('utf8'));
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) return { record: json as Record<string, unknown> };
    return { record: null, problem: `${store.locate(VERIFY_RECORD_FILE)} is not a verify record` };
  } catch (err) {
    return { record: null, problem: `${store.locate(VERIFY_RECORD_FILE)} cannot be read: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export async function archiveSection(root: string, store: BlobStore, catalog: Catalog, nowMs: number): Promise<{ section: ArchiveSection; problems: ReportProblem[] }> {
  const s = summarizeCatalog(catalog);
  const verify = await lastVerify(store);
  const newest = s.snapshots.at(-1);
  const section: ArchiveSection = {
    location: root,
    readable: true,
    source_id: s.sourceId,
    window: s.window,
    durable: s.durable,
    lag_seconds: catalog.durable ? Math.max(0, Math.round(nowMs / 1000 - parsePosition(catalog.durable).seconds)) : null,
    gaps: s.gaps.map((g) => ({ from: g.from, ...(g.to === undefined ? {} : { to: g.to }), reason: g.reason, recorded_at: g.recordedAt, open: g.to === undefined })),
    open_gaps: s.gaps.filter((g) => g.to === undefined).length,
    snapshots: {
      count: s.snapshots.length,
      newest: newest ? { id: newest.id, ...(newest.name === undefined ? {} : { name: newest.name }), kind: newest.kind, position: newest.position } : null,
      named: s.snapshots.flatMap((n) => (n.name === undefined ? [] : [{ name: n.name, id: n.id, position: n.position }])),
    },
    last_verify: verify.record,
  };
  return { section, problems: verify.problem ? [{ code: 'VERIFY_RECORD_UNREADABLE', message: verify.problem, retryable: false }] : [] };
}

/** An archive that could not be read: what the report says about it. */
export function unreadableArchive(location: string, err: unknown): { section: ArchiveSection; problem: ReportProblem } {
  const problem = problemOf(err);
  return {
    section: { location, readable: false, source_id: null, window: null, durable: null, lag_seconds: null, gaps: [], open_gaps: 0, snapshots: { count: 0, newest: null, named: [] }, last_verify: null, error: `${problem.code}: ${problem.message}` },
    problem,
  };
}

export interface MissingOptions {
  store: BlobStore;
  catalog: Catalog;
  client: MongoClient;
  /** Only this database's namespaces (null: all). */
  database: string | null;
  sampleLimit: number;
  maxKeys: number;
  /** Write each namespace's diff report here (`<prefix><ns>.diff.json`); absent: none is written. */
  keyFiles?: { dir: string; prefix: string };
  tempDir?: string;
  batchSize?: number;
  signal?: AbortSignal;
  onNamespace?: (ns: string, compared: number) => void;
}

export interface MissingResult {
  section: MissingSection;
  reports: DiffReport[];
  problem?: ReportProblem;
}

const emptySection = (sampleLimit: number, skipped: string): MissingSection => ({ at: null, sample_limit: sampleLimit, namespaces: {}, skipped });

export async function findMissing(o: MissingOptions): Promise<MissingResult> {
  if (!o.catalog.snapshots.length || !o.catalog.durable) return { section: emptySection(o.sampleLimit, 'the archive has no restorable state yet (no base snapshot)'), reports: [] };
  const open = o.catalog.gaps.find((g) => g.to === undefined);
  // Restore refuses every point after an open gap's start, the latest included: nothing to compare with until a new base.
  if (open) return { section: emptySection(o.sampleLimit, `the archive has an open gap after ${open.from}: its latest state cannot be restored until capture takes a new base snapshot`), reports: [] };
  let state;
  try {
    state = await openStateAt({ store: o.store, catalog: o.catalog, target: { kind: 'latest' }, ...(o.tempDir ? { tempDir: o.tempDir } : {}) });
  } catch (err) {
    const problem = problemOf(err);
    return { section: emptySection(o.sampleLimit, `the archive's latest state cannot be read: ${problem.message}`), reports: [], problem };
  }
  try {
    const at = state.position;
    const view: PositionView = summarizeCatalog({ ...o.catalog, durable: `${at.seconds}.${at.increment}.${at.index}` }).durable as PositionView;
    const section: MissingSection = { at: view, sample_limit: o.sampleLimit, namespaces: {}, skipped: null };
    const reports: DiffReport[] = [];
    const namespaces = state.namespaces.filter((ns) => o.database === null || ns.startsWith(`${o.database}.`));
    for (const ns of namespaces) {
      if (o.signal?.aborted) throw new RecoveryError('ABORTED', 'scan was stopped before it finished: run it again', { cause: o.signal.reason });
      const report = await diffNamespace({
        source: state.namespace(ns),
        position: at,
        live: targetCollection(o.client, ns),
        maxKeys: o.maxKeys,
        ...(o.batchSize ? { batchSize: o.batchSize } : {}),
        onProgress: (n) => o.onNamespace?.(ns, n),
      });
      const differs = report.counts.missing + report.counts.unexpected + report.counts.diverged > 0;
      let keysFile: string | null = null;
      if (differs && o.keyFiles) {
        keysFile = join(o.keyFiles.dir, `${o.keyFiles.prefix}${ns}.diff.json`);
        try {
          await writeFile(keysFile, `${JSON.stringify(report, null, 2)}\n`);
        } catch (cause) {
          throw new RecoveryError('OUTPUT_IO', `cannot write the key list ${keysFile}: ${(cause as Error).message}`, { cause, context: { path: keysFile } });
        }
      }
      if (differs) reports.push(report);
      const c = report.counts;
      section.namespaces[ns] = {
        live_ns: report.liveNs,
        archive_count: c.archive,
        live_count: c.live,
        identical: c.identical,
        missing: c.missing,
        unexpected: c.unexpected,
        diverged: c.diverged,
        samples: {
          missing: report.missing.slice(0, o.sampleLimit),
          unexpected: report.unexpected.slice(0, o.sampleLimit),
          diverged: report.diverged.slice(0, o.sampleLimit).map((d) => d.key),
        },
        keys_file: keysFile,
        truncated: report.truncated,
      };
    }
    return { section, reports };
  } finally {
    await state.close();
  }
}

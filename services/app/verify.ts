/**
 * The verify job: re-hash the archive's files against the catalog (all of
 * them, or a sample that continues where the last sample stopped), record the
 * result in the archive (verify.json: services/archive/verify-record.ts), and
 * turn every damaged file into a gap in the catalog, so `rewind status`
 * shows it and a restore across it is refused naming the file (the planner's
 * PLAN_IN_GAP). Used by `rewind verify` (services/cli/commands/verify.ts) and
 * by the scheduled verification of the long-running processes
 * (verify-schedule.ts). Transport-neutral: it neither parses flags nor prints.
 */
import type { Catalog, Gap } from '../../contracts/catalog.js';
import { VERIFY_RECORD_FORMAT } from '../../contracts/verify-record.js';
import type { VerifyRecord } from '../../contracts/verify-record.js';
import { isArchiveError } from '../archive/archive-errors.js';
import { openArchiveAt } from '../archive/archive-access.js';
import type { ArchiveAccess, OpenedArchive } from '../archive/archive-access.js';
import type { CatalogIntegrity } from '../archive/catalog-medium.js';
import { catalogFiles, damageGaps, verifyFiles } from '../archive/verify-archive.js';
import type { NamedFile } from '../archive/verify-archive.js';
import { readVerifyRecord, writeVerifyRecord } from '../archive/verify-record.js';

export type VerifyScope = { kind: 'all' } | { kind: 'sample'; files: number };

export interface VerifyRequest {
  /** An archive name (folder or s3://bucket/prefix) with how to reach it, or an archive this process has open (its catalog writer). */
  archive: { location: string; access?: ArchiveAccess } | { opened: OpenedArchive };
  scope: VerifyScope;
  by: VerifyRecord['by'];
  onProgress?: (progress: { done: number; total: number; path: string }) => void;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface VerifyResult {
  /** The archive as shown to people. */
  archive: string;
  objectStore: boolean;
  catalog: { generation: number; integrity: CatalogIntegrity };
  /** What was recorded in the archive. */
  record: VerifyRecord;
  /** Gaps this run added to the catalog (damage found before is not added twice). */
  gapsAdded: Gap[];
  /** Why the gaps are not in the catalog yet (a running archiver holds it: it adds them); null when they are. */
  gapsPending: string | null;
  /** True when a damaged or missing file was found: `rewind verify` exits 3. */
  damaged: boolean;
}

/** The next `count` files in path order, from `cursor`, wrapping around; and where the next sample starts. */
export function sampleFiles(files: readonly NamedFile[], cursor: number, count: number): { files: NamedFile[]; cursor: number } {
  const sorted = [...files].sort((a, b) => (a.ref.path < b.ref.path ? -1 : a.ref.path > b.ref.path ? 1 : 0));
  if (sorted.length === 0) return { files: [], cursor: 0 };
  const take = Math.min(count, sorted.length);
  const start = cursor % sorted.length;
  const out = Array.from({ length: take }, (_, i) => sorted[(start + i) % sorted.length] as NamedFile);
  return { files: out, cursor: (start + take) % sorted.length };
}

const sameGap = (a: Gap, b: Gap) => a.from === b.from && a.reason === b.reason;

/** Adds `gaps` the catalog does not hold yet; returns those added. CATALOG_LOCKED (retryable) when another process holds the catalog. */
export async function addGapsToCatalog(archive: OpenedArchive, gaps: readonly Gap[]): Promise<Gap[]> {
  const current = await archive.catalog.read();
  if (gaps.every((g) => current.gaps.some((c) => sameGap(c, g)))) return [];
  const added: Gap[] = [];
  await archive.catalog.update((draft: Catalog) => {
    added.length = 0;
    for (const g of gaps) {
      if (draft.gaps.some((c) => sameGap(c, g))) continue;
      draft.gaps.push(g);
      added.push(g);
    }
  });
  return added;
}

export async function runVerify(request: VerifyRequest): Promise<VerifyResult> {
  const now = request.now ?? (() => new Date());
  // A short lock wait: a running archiver holds the catalog for as long as it runs, and then the gaps are left to it.
  const archive = 'opened' in request.archive ? request.archive.opened : openArchiveAt(request.archive.location, { catalog: { lockWaitMs: 2000 }, ...request.archive.access });
  const startedAt = now().toISOString();
  const { catalog, integrity } = await archive.catalog.readChecked();
  const all = catalogFiles(catalog);
  let files = all;
  let cursor = 0;
  if (request.scope.kind === 'sample') {
    const last = await readVerifyRecord(archive.store);
    const picked = sampleFiles(all, last.record?.cursor ?? 0, request.scope.files);
    files = picked.files;
    cursor = picked.cursor;
  }
  const report = await verifyFiles(archive.store, files, (done, total, path) => request.onProgress?.({ done, total, path }), request.signal);
  const verifiedAt = now().toISOString();
  const gaps = damageGaps(catalog, report.problems, verifiedAt);
  let gapsAdded: Gap[] = [];
  let gapsPending: string | null = null;
  if (gaps.length > 0) {
    try {
      gapsAdded = await addGapsToCatalog(archive, gaps);
    } catch (err) {
      if (!isArchiveError(err, 'CATALOG_LOCKED')) throw err;
      gapsPending = `the catalog is held by another process (${err.message}): the running archiver adds these gaps from the verify record`;
    }
  }
  const record: VerifyRecord = {
    formatVersion: VERIFY_RECORD_FORMAT,
    verifiedAt,
    startedAt,
    by: request.by,
    scope: request.scope.kind,
    catalogGeneration: catalog.generation,
    catalogFiles: all.length,
    filesChecked: report.files,
    bytesChecked: report.bytes,
    ok: report.ok,
    problems: report.problems,
    gaps,
    gapsInCatalog: gapsPending === null,
    cursor,
  };
  await writeVerifyRecord(archive.store, record);
  return {
    archive: archive.root,
    objectStore: archive.location.kind !== 'fs',
    catalog: { generation: catalog.generation, integrity },
    record,
    gapsAdded,
    gapsPending,
    damaged: gaps.length > 0,
  };
}

/**
 * Adds the gaps of a verify record that could not reach the catalog (a
 * `rewind verify` run while this process held it); the running archiver's
 * process calls this. Returns the gaps added.
 */
export async function foldPendingGaps(archive: OpenedArchive): Promise<Gap[]> {
  const { record } = await readVerifyRecord(archive.store);
  if (!record || record.gapsInCatalog || record.gaps.length === 0) return [];
  const added = await addGapsToCatalog(archive, record.gaps);
  await writeVerifyRecord(archive.store, { ...record, gapsInCatalog: true });
  return added;
}

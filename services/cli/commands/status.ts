/**
 * `rewind status --archive <dir> [--json]`: how far the archive is behind the
 * source (lag), what can be restored (the window), how many segments and
 * snapshots it holds, the gaps, and what the running capture processes say
 * about themselves (lifecycle state, source reachability, retries).
 */
import { archiveDirFromEnv } from '../archive-dir-env.js';
import { RewindError } from '../../../contracts/errors.js';
import type { Command } from 'commander';
// Modules, not the archive's and contracts' indexes, which bring the segment and snapshot codecs
// (avsc, zlib): status only reads the catalog, and it must start fast. An S3 archive's
// modules (the AWS SDK, the keyring) are loaded only for an s3:// archive.
import { join, resolve } from 'node:path';
import { parseArchiveLocation } from '../../../contracts/archive-location.js';
import { parsePosition } from '../../../contracts/position.js';
import { redactMongoUri } from '../../../contracts/mongo-uri-redact.js';
import { ArchiveError } from '../../archive/archive-errors.js';
import { CatalogStore } from '../../archive/catalog-store.js';
import { summarizeCatalog } from '../../archive/catalog-summary.js';
import type { CatalogSummary } from '../../archive/catalog-summary.js';
import { STATUS_DIR, readProcessStatusFiles, statusRefreshMs } from '../../archiver/process-status.js';
import type { StatusTarget } from '../../archiver/process-status.js';
import type { ProcessStatus } from '../../archiver/process-status.js';
import type { CaptureIo } from './up.js';

/** A process whose status file has not moved for this long (or three refreshes, if longer) is not running, or hung. */
const STALE_MS = 10_000;

export interface CaptureStatusReport {
  sourceId: string;
  /** Seconds between now and the latest durable position's cluster time; null before the first commit. */
  lagSeconds: number | null;
  durable: CatalogSummary['durable'];
  window: CatalogSummary['window'];
  snapshots: { count: number; newest: CatalogSummary['snapshots'][number] | null };
  segments: CatalogSummary['segments'];
  gaps: CatalogSummary['gaps'];
  openGaps: number;
  processes: (ProcessStatus & { running: boolean })[];
  /** Status files that hold no process status (shown, never fatal). */
  unreadableStatusFiles: { file: string; problem: string }[];
}

/** The catalog and where the status files are: a folder's `.status/`, or the S3 archive's own store. */
async function openForStatus(archiveDir: string): Promise<{ catalog: CatalogStore; target: StatusTarget }> {
  const location = parseArchiveLocation(archiveDir);
  if ('error' in location) throw new ArchiveError('ARCHIVE_LOCATION_INVALID', { location: archiveDir, reason: location.error });
  if (location.kind === 'fs') {
    const root = resolve(location.dir);
    return { catalog: new CatalogStore(root), target: join(root, STATUS_DIR) };
  }
  const [{ openArchiveAt }, { archiveAccessFromEnv }] = await Promise.all([import('../../archive/archive-access.js'), import('../../../contracts/runtime-config.js')]);
  const archive = openArchiveAt(archiveDir, archiveAccessFromEnv());
  return { catalog: archive.catalog, target: archive.store };
}

export async function captureStatus(archiveDir: string, nowMs = Date.now()): Promise<CaptureStatusReport> {
  const { catalog: store, target } = await openForStatus(archiveDir);
  const catalog = await store.read();
  const summary = summarizeCatalog(catalog);
  const staleMs = Math.max(STALE_MS, 3 * statusRefreshMs(target));
  const read = await readProcessStatusFiles(target);
  const processes = read.statuses.map((p) => ({
    ...p,
    running: nowMs - Date.parse(p.updatedAt) < staleMs,
  }));
  return {
    sourceId: summary.sourceId,
    lagSeconds: catalog.durable ? Math.max(0, Math.round(nowMs / 100 - parsePosition(catalog.durable).seconds * 10) / 10) : null,
    durable: summary.durable,
    window: summary.window,
    snapshots: { count: summary.snapshots.length, newest: summary.snapshots.at(-1) ?? null },
    segments: summary.segments,
    gaps: summary.gaps,
    openGaps: summary.gaps.filter((g) => g.to === undefined).length,
    processes,
    unreadableStatusFiles: read.unreadable,
  };
}

function describeProcess(p: CaptureStatusReport['processes'][number]): string[] {
  const lines = [`  ${p.process} (pid ${p.pid}): ${p.running ? 'running' : `not running (last seen ${p.updatedAt})`}`];
  const c = p.collector as { state?: string; sourceReachable?: boolean; reconnectAttempts?: number; lastError?: string | null; source?: string; copy?: { documents: number } | null } | undefined;
  if (c) {
    lines.push(`    collector: ${c.state ?? '?'}; source ${c.source === undefined ? '?' : redactMongoUri(c.source)} ${c.sourceReachable ? 'reachable' : `UNREACHABLE${c.reconnectAttempts ? ` (retry ${c.reconnectAttempts})` : ''}`}`);
    if (c.copy) lines.push(`    initial copy: ${c.copy.documents} documents so far`);
    if (c.lastError && !c.sourceReachable) lines.push(`    last error: ${c.lastError}`);
  }
  const a = p.archiver as { state?: string; eventsArchived?: number; duplicatesDropped?: number; openSegment?: { events: number } | null } | undefined;
  if (a) lines.push(`    archiver: ${a.state ?? '?'}; ${a.eventsArchived ?? 0} events archived, ${a.duplicatesDropped ?? 0} duplicates dropped, open segment ${a.openSegment ? `${a.openSegment.events} events` : 'none'}`);
  return lines;
}

export function formatCaptureStatus(r: CaptureStatusReport): string {
  const lines = [`source ${r.sourceId}`];
  lines.push(`lag: ${r.lagSeconds === null ? 'nothing captured yet' : `${r.lagSeconds} s behind the source`}`);
  lines.push(`durable up to: ${r.durable ? r.durable.text : '-'}`);
  lines.push(`restorable window: ${r.window ? `${r.window.earliest.text} → ${r.window.latest.text}` : 'none yet (no base snapshot)'}`);
  lines.push(`snapshots: ${r.snapshots.count}${r.snapshots.newest ? `, newest ${r.snapshots.newest.kind} at ${r.snapshots.newest.position.text}` : ''}`);
  lines.push(`segments: ${r.segments.count} (${r.segments.events} events, ${r.segments.bytes} bytes)`);
  lines.push(`gaps: ${r.gaps.length === 0 ? 'none' : ''}`);
  for (const g of r.gaps) lines.push(`  ${g.to ? '' : 'OPEN '}from ${g.from}${g.to ? ` to ${g.to}` : ' (no base snapshot since)'}: ${g.reason}`);
  lines.push(`processes: ${r.processes.length === 0 ? 'none reported' : ''}`);
  for (const p of r.processes) lines.push(...describeProcess(p));
  for (const u of r.unreadableStatusFiles) lines.push(`  unreadable status file ${u.file}: ${u.problem}`);
  return `${lines.join('\n')}\n`;
}

export function registerStatusCommand(program: Command, io: CaptureIo): Command {
  return program
    .command('status')
    .description('show capture lag, the restorable window, segment and snapshot counts, gaps and running processes')
    .option('--archive <dir>', 'archive folder or s3://bucket/prefix (env REWIND_ARCHIVE_DIR)')
    .option('--json', 'print JSON')
    .action(async (flags: { archive?: string; json?: boolean }) => {
      const dir = flags.archive ?? archiveDirFromEnv(io.env);
      if (!dir) throw new RewindError('BAD_OPTIONS', 'give --archive <dir> (or REWIND_ARCHIVE_DIR)');
      const report = await captureStatus(dir);
      io.stdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatCaptureStatus(report));
    });
}

/**
 * The status job: a health verdict an operator can read at 3 a.m. From the
 * catalog, the capture processes' status files, the verify record and (where
 * the archive is fed through Kafka) the archiver group's consumer lag: the
 * restorable window, how far the capture is behind the source, how old the
 * latest durable point is, open gaps, the last verification, every capture
 * process with a liveness check that never calls a dead process running,
 * and one verdict, OK / WARN / CRIT, with its reasons, against the thresholds
 * of contracts/status-thresholds.ts.
 *
 * The verdict's rules (README "rewind status"):
 * - CRIT: an open gap; the last verification found a damaged or missing file;
 *   a capture process died (gone without a clean stop); lag, durable age or
 *   Kafka consumer lag above its CRIT threshold; an archiver that failed.
 * - WARN: no base snapshot yet; no capture process running; a process hung
 *   (alive, status not moving) or silent (elsewhere, not moving); the source
 *   unreachable; lag, durable age or Kafka lag above its WARN threshold; the
 *   Kafka lag could not be read; the last verification is old, incomplete, or
 *   missing on an archive older than verifyAgeWarnMs; an unreadable status or
 *   verify file.
 *
 * Starts fast: for a folder archive it loads no driver, no Avro, no AWS SDK;
 * kafkajs is loaded only when a status file says the archive is fed through
 * Kafka.
 */
import { join, resolve } from 'node:path';
// The contracts modules themselves, not their index (which brings avsc).
import { parseArchiveLocation } from '../../contracts/archive-location.js';
import type { Catalog, Gap } from '../../contracts/catalog.js';
import { humanDuration } from '../../contracts/human-duration.js';
import { INDEX_MAX, parsePosition } from '../../contracts/position.js';
import type { StatusThresholds } from '../../contracts/status-thresholds.js';
import type { VerifyProblem, VerifyRecord } from '../../contracts/verify-record.js';
import { redactMongoUri } from '../../contracts/mongo-uri-redact.js';
import type { ArchiveAccess } from '../archive/archive-access.js';
import { ArchiveError } from '../archive/archive-errors.js';
import type { BlobStore } from '../archive/blob-store.js';
import { CatalogStore } from '../archive/catalog-store.js';
import { restorableWindow } from '../archive/catalog-queries.js';
import { FsBlobStore } from '../archive/fs-blob-store.js';
import { readVerifyRecord } from '../archive/verify-record.js';
import { STATUS_DIR, processLiveness, readProcessStatusFiles, statusRefreshMs } from '../archiver/process-status.js';
import type { ProcessLiveness, ProcessStatus, StatusTarget } from '../archiver/process-status.js';
import type { ConsumerLag } from '../eventlog/kafka-consumer-lag.js';

export type Verdict = 'OK' | 'WARN' | 'CRIT';

export interface StatusRequest {
  /** A folder or s3://bucket/prefix. */
  archive: string;
  /** How to reach an S3 archive (REWIND_S3_* for the CLI). */
  access?: ArchiveAccess;
  thresholds: StatusThresholds;
  /** The time the verdict is for (ms since the epoch); now by default. */
  nowMs?: number;
  /** How long the Kafka consumer lag may take before it is reported as not checked (default 3 s). */
  kafkaTimeoutMs?: number;
  signal?: AbortSignal;
}

/** A position as people and machines read it: ISO time always; `position` is the exact order key. */
export interface StatusPoint {
  position: string;
  time: string;
  /** The position is an end-of-second bound (a restore to a time), not an event's: people are shown the time only. */
  endOfSecond: boolean;
}

export interface StatusReason {
  level: 'WARN' | 'CRIT';
  /** Stable, UPPER_SNAKE: what a monitor matches on. */
  code: string;
  message: string;
}

export interface StatusGap {
  from: StatusPoint;
  /** Where a new base made history complete again; null while the gap is open. */
  to: StatusPoint | null;
  reason: string;
  recordedAt: string;
  /** Found by a verification but not in the catalog yet (the running archiver adds it). */
  pending: boolean;
}

export interface StatusProcess {
  process: ProcessStatus['process'];
  pid: number;
  host: string | null;
  liveness: ProcessLiveness;
  /** True only for a process seen alive (or refreshing, elsewhere): never for a dead one. */
  running: boolean;
  startedAt: string;
  updatedAt: string;
  stoppedAt: string | null;
  /** Time since its status last moved. */
  silentMs: number;
  collector: {
    state: string | null;
    source: string | null;
    sourceReachable: boolean | null;
    reconnectAttempts: number;
    lastError: string | null;
    published: StatusPoint | null;
    eventsPublished: number | null;
    copyDocuments: number | null;
  } | null;
  archiver: { state: string | null; eventsArchived: number | null; duplicatesDropped: number | null; openSegmentEvents: number | null } | null;
  kafka: ProcessStatus['kafka'] | null;
}

export interface StatusLastVerify {
  verifiedAt: string;
  ageMs: number;
  by: VerifyRecord['by'];
  scope: VerifyRecord['scope'];
  filesChecked: number;
  catalogFiles: number;
  ok: number;
  /** Damaged or missing files, and files that could not be read this time. */
  problems: VerifyProblem[];
  damaged: number;
}

export type StatusKafka = { used: false } | { used: true; lag: ConsumerLag } | { used: true; skipped: string };

export interface StatusResult {
  verdict: Verdict;
  reasons: StatusReason[];
  checkedAt: string;
  archive: string;
  sourceId: string;
  catalogGeneration: number;
  window: { earliest: StatusPoint; latest: StatusPoint } | null;
  /** The latest durable (restorable) point and its age. */
  durable: (StatusPoint & { ageMs: number }) | null;
  /** How far the capture is behind the source: from the newest position a collector published, else the durable point. */
  lag: { ms: number; from: 'collector' | 'durable' } | null;
  snapshots: { count: number; newest: { id: string; kind: string; at: StatusPoint; createdAt: string } | null };
  segments: { count: number; events: number; bytes: number };
  gaps: StatusGap[];
  openGaps: number;
  lastVerify: StatusLastVerify | null;
  processes: StatusProcess[];
  kafka: StatusKafka;
  /** Status or verify files that could not be read (shown, never fatal). */
  unreadable: { file: string; problem: string }[];
  thresholds: StatusThresholds;
}

const UINT32_MAX = 0xffff_ffff;

export function statusPoint(text: string): StatusPoint {
  const p = parsePosition(text);
  return { position: `${p.seconds}.${p.increment}.${p.index}`, time: new Date(p.seconds * 1000).toISOString(), endOfSecond: p.increment === UINT32_MAX || p.index === INDEX_MAX };
}

/** The position's time in ms (clusterTime has whole seconds). */
const pointMs = (p: StatusPoint) => Date.parse(p.time);

interface Opened {
  root: string;
  catalog: CatalogStore;
  store: BlobStore;
  statusTarget: StatusTarget;
}

/** The catalog, the store and where the status files are: a folder's `.status/`, or the S3 archive's own store (its modules loaded only then). */
async function open(request: StatusRequest): Promise<Opened> {
  const location = parseArchiveLocation(request.archive);
  if ('error' in location) throw new ArchiveError('ARCHIVE_LOCATION_INVALID', { location: request.archive, reason: location.error });
  if (location.kind === 'fs') {
    const root = resolve(location.dir);
    return { root, catalog: new CatalogStore(root), store: new FsBlobStore(root), statusTarget: join(root, STATUS_DIR) };
  }
  const { openArchiveAt } = await import('../archive/archive-access.js');
  const archive = openArchiveAt(request.archive, request.access ?? {});
  return { root: archive.root, catalog: archive.catalog, store: archive.store, statusTarget: archive.store };
}

function field<T>(obj: unknown, key: string, check: (v: unknown) => v is T): T | null {
  if (typeof obj !== 'object' || obj === null) return null;
  const v = (obj as Record<string, unknown>)[key];
  return check(v) ? v : null;
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

function viewProcess(s: ProcessStatus, nowMs: number, staleMs: number): StatusProcess {
  const liveness = processLiveness(s, nowMs, staleMs);
  const c = s.collector;
  const published = field(c, 'published', isString);
  const copy = field(c, 'copy', (v): v is { documents: number } => typeof v === 'object' && v !== null && typeof (v as { documents?: unknown }).documents === 'number');
  const source = field(c, 'source', isString);
  const a = s.archiver;
  const open = field(a, 'openSegment', (v): v is { events: number } => typeof v === 'object' && v !== null && typeof (v as { events?: unknown }).events === 'number');
  return {
    process: s.process,
    pid: s.pid,
    host: s.owner?.host ?? null,
    liveness,
    running: liveness === 'running' || liveness === 'presumed-running',
    startedAt: s.startedAt,
    updatedAt: s.updatedAt,
    stoppedAt: s.stoppedAt ?? null,
    silentMs: Math.max(0, nowMs - Date.parse(s.updatedAt)),
    collector:
      c === undefined
        ? null
        : {
            state: field(c, 'state', isString),
            source: source === null ? null : redactMongoUri(source),
            sourceReachable: field(c, 'sourceReachable', isBoolean),
            reconnectAttempts: field(c, 'reconnectAttempts', isNumber) ?? 0,
            lastError: field(c, 'lastError', isString),
            published: published === null ? null : safePoint(published),
            eventsPublished: field(c, 'eventsPublished', isNumber),
            copyDocuments: copy?.documents ?? null,
          },
    archiver:
      a === undefined
        ? null
        : {
            state: field(a, 'state', isString),
            eventsArchived: field(a, 'eventsArchived', isNumber),
            duplicatesDropped: field(a, 'duplicatesDropped', isNumber),
            openSegmentEvents: open?.events ?? null,
          },
    kafka: s.kafka ?? null,
  };
}

function safePoint(text: string): StatusPoint | null {
  try {
    return statusPoint(text);
  } catch {
    return null;
  }
}

function viewGap(g: Gap, pending: boolean): StatusGap {
  return { from: statusPoint(g.from), to: g.to === undefined ? null : statusPoint(g.to), reason: g.reason, recordedAt: g.recordedAt, pending };
}

/** The Kafka log named by the status files: the archiver's own group, else the collector's topic with the default group. */
function kafkaOf(processes: readonly StatusProcess[], sourceId: string): { brokers: string[]; topic: string; groupId: string } | null {
  const archiver = processes.find((p) => p.process === 'archive' && p.kafka);
  const any = archiver ?? processes.find((p) => p.kafka);
  if (!any?.kafka) return null;
  return { brokers: any.kafka.brokers, topic: any.kafka.topic, groupId: archiver?.kafka?.groupId ?? `rewind-archiver.${sourceId}` };
}

async function readKafka(processes: readonly StatusProcess[], sourceId: string, timeoutMs: number): Promise<StatusKafka> {
  const kafka = kafkaOf(processes, sourceId);
  if (!kafka) return { used: false };
  try {
    // Loaded only here: kafkajs costs tens of milliseconds at start, and a folder archive fed by `up` never needs it.
    const { readConsumerLag } = await import('../eventlog/kafka-consumer-lag.js');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${humanDuration(timeoutMs)}`)), timeoutMs);
    });
    try {
      return { used: true, lag: await Promise.race([readConsumerLag({ ...kafka, timeoutMs }), timeout]) };
    } finally {
      clearTimeout(timer);
    }
  } catch (err) {
    return { used: true, skipped: `brokers ${kafka.brokers.join(',')} unreachable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function lastVerifyView(record: VerifyRecord, nowMs: number): StatusLastVerify {
  return {
    verifiedAt: record.verifiedAt,
    ageMs: Math.max(0, nowMs - Date.parse(record.verifiedAt)),
    by: record.by,
    scope: record.scope,
    filesChecked: record.filesChecked,
    catalogFiles: record.catalogFiles,
    ok: record.ok,
    problems: record.problems,
    damaged: record.problems.filter((p) => isDamageCode(p.code)).length,
  };
}

type Facts = Omit<StatusResult, 'verdict' | 'reasons'> & { catalog: Catalog };

/** The verdict's reasons, CRIT first (rules in the header). */
export function judge(f: Facts): StatusReason[] {
  const t = f.thresholds;
  const out: StatusReason[] = [];
  const crit = (code: string, message: string) => out.push({ level: 'CRIT', code, message });
  const warn = (code: string, message: string) => out.push({ level: 'WARN', code, message });
  const against = (code: string, what: string, value: number, w: number | null, c: number | null, unit: (n: number) => string) => {
    if (c !== null && value >= c) crit(code, `${what} ${unit(value)} (CRIT at ${unit(c)})`);
    else if (w !== null && value >= w) warn(code, `${what} ${unit(value)} (WARN at ${unit(w)})`);
  };
  for (const g of f.gaps.filter((x) => x.to === null)) crit('OPEN_GAP', `open gap since ${g.from.time}: ${g.reason}; nothing after it is restorable until a new base snapshot`);
  const v = f.lastVerify;
  if (v && v.damaged > 0) {
    const bad = v.problems.filter((p) => isDamageCode(p.code)).map((p) => p.path);
    crit('VERIFY_FOUND_DAMAGE', `the last verification (${v.verifiedAt}) found ${v.damaged} damaged or missing file(s): ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', …' : ''}; restores across them are refused`);
  }
  for (const p of f.processes) {
    const who = `${p.process} (pid ${p.pid}${p.host ? ` on ${p.host}` : ''})`;
    if (p.liveness === 'dead') crit('PROCESS_DEAD', `${who} is gone without a clean stop (last seen ${p.updatedAt}): restart it`);
    else if (p.liveness === 'hung') warn('PROCESS_HUNG', `${who} is alive but its status has not moved for ${humanDuration(p.silentMs)}: hung or overloaded`);
    else if (p.liveness === 'silent') warn('PROCESS_SILENT', `${who} has not reported for ${humanDuration(p.silentMs)} and cannot be checked from here: presumed gone`);
    if (p.running && p.archiver?.state === 'failed') crit('ARCHIVER_FAILED', `${who}: the archiver failed`);
    if (p.running && p.collector?.sourceReachable === false) {
      warn('SOURCE_UNREACHABLE', `${who}: the source ${p.collector.source ?? ''} is unreachable${p.collector.reconnectAttempts ? ` (retry ${p.collector.reconnectAttempts})` : ''}${p.collector.lastError ? `: ${p.collector.lastError}` : ''}`);
    }
  }
  if (!f.processes.some((p) => p.running)) warn('NO_CAPTURE', f.processes.length === 0 ? 'no capture process has reported to this archive' : 'no capture process is running: nothing new is archived');
  if (f.snapshots.count === 0) warn('NO_BASE_SNAPSHOT', 'nothing is restorable yet: no base snapshot (the initial copy has not finished)');
  if (f.lag) against('CAPTURE_LAG', 'the capture is behind the source by', f.lag.ms, t.lagWarnMs, t.lagCritMs, humanDuration);
  if (f.durable) against('DURABLE_AGE', 'the latest durable point is', f.durable.ageMs, t.durableAgeWarnMs, t.durableAgeCritMs, (n) => `${humanDuration(n)} old`);
  if (f.kafka.used && 'lag' in f.kafka) {
    against('KAFKA_LAG', `the archiver group ${f.kafka.lag.groupId} is behind ${f.kafka.lag.topic} by`, f.kafka.lag.messages, t.kafkaLagWarn, t.kafkaLagCrit, (n) => `${n} message(s)`);
  } else if (f.kafka.used && 'skipped' in f.kafka) warn('KAFKA_LAG_UNCHECKED', `Kafka consumer lag not checked: ${f.kafka.skipped}`);
  if (t.verifyAgeWarnMs !== null) {
    if (v && v.ageMs >= t.verifyAgeWarnMs) warn('VERIFY_OLD', `the last verification was ${humanDuration(v.ageMs)} ago (WARN at ${humanDuration(t.verifyAgeWarnMs)}): run rewind verify or set verify.everyMs`);
    const oldest = f.catalog.snapshots.map((s) => Date.parse(s.createdAt)).sort((a, b) => a - b)[0];
    if (!v && oldest !== undefined && Date.parse(f.checkedAt) - oldest >= t.verifyAgeWarnMs) warn('NEVER_VERIFIED', `the archive was never verified and holds data from ${humanDuration(Date.parse(f.checkedAt) - oldest)} ago: run rewind verify or set verify.everyMs`);
  }
  const unread = v ? v.problems.filter((p) => !isDamageCode(p.code)).length : 0;
  if (unread > 0) warn('VERIFY_INCOMPLETE', `the last verification could not read ${unread} file(s) (not damage: a retry may find them sound)`);
  for (const u of f.unreadable) warn('UNREADABLE_FILE', `${u.file}: ${u.problem}`);
  return [...out.filter((r) => r.level === 'CRIT'), ...out.filter((r) => r.level === 'WARN')];
}

// The same list as services/archive/verify-archive.ts isDamage (not imported: that module brings the file codecs).
const DAMAGE_CODES: ReadonlySet<string> = new Set(['ARCHIVE_CHECKSUM_MISMATCH', 'ARCHIVE_TRUNCATED', 'ARCHIVE_LENGTH_MISMATCH', 'ARCHIVE_FILE_MISSING', 'ARCHIVE_KEY_MISSING']);
const isDamageCode = (code: string) => DAMAGE_CODES.has(code);

export function verdictOf(reasons: readonly StatusReason[]): Verdict {
  return reasons.some((r) => r.level === 'CRIT') ? 'CRIT' : reasons.length > 0 ? 'WARN' : 'OK';
}

export async function readStatus(request: StatusRequest): Promise<StatusResult> {
  const nowMs = request.nowMs ?? Date.now();
  const t = request.thresholds;
  const opened = await open(request);
  const catalog = await opened.catalog.read();
  request.signal?.throwIfAborted();
  const [statusFiles, verify] = await Promise.all([readProcessStatusFiles(opened.statusTarget), readVerifyRecord(opened.store)]);
  // At least three missed refreshes: an object store's status objects move every 5 s.
  const staleMs = Math.max(t.processStaleMs, 3 * statusRefreshMs(opened.statusTarget));
  const processes = statusFiles.statuses.map((s) => viewProcess(s, nowMs, staleMs));
  const kafka = await readKafka(processes, catalog.sourceId, request.kafkaTimeoutMs ?? 3000);

  const w = restorableWindow(catalog);
  const fmt = (p: { seconds: number; increment: number; index: number }) => statusPoint(`${p.seconds}.${p.increment}.${p.index}`);
  const durable = catalog.durable === undefined ? null : statusPoint(catalog.durable);
  // The newest position a running collector published: the capture's own front, ahead of the durable point.
  const fronts = processes.filter((p) => p.running && p.collector?.published).map((p) => p.collector?.published as StatusPoint);
  const front = fronts.sort((a, b) => pointMs(b) - pointMs(a))[0];
  const lagFrom = front ?? durable;
  const record = verify.record;
  const pending = record && !record.gapsInCatalog ? record.gaps.filter((g) => !catalog.gaps.some((c) => c.from === g.from && c.reason === g.reason)) : [];
  const snapshots = [...catalog.snapshots].sort((a, b) => pointMs(statusPoint(a.position)) - pointMs(statusPoint(b.position)));
  const newest = snapshots.at(-1);
  const gaps = [...catalog.gaps.map((g) => viewGap(g, false)), ...pending.map((g) => viewGap(g, true))];
  const facts: Facts = {
    catalog,
    checkedAt: new Date(nowMs).toISOString(),
    archive: opened.root,
    sourceId: catalog.sourceId,
    catalogGeneration: catalog.generation,
    window: w ? { earliest: fmt(w.earliest), latest: fmt(w.latest) } : null,
    durable: durable ? { ...durable, ageMs: Math.max(0, nowMs - pointMs(durable)) } : null,
    lag: lagFrom ? { ms: Math.max(0, nowMs - pointMs(lagFrom)), from: front ? 'collector' : 'durable' } : null,
    snapshots: { count: snapshots.length, newest: newest ? { id: newest.id, kind: newest.kind, at: statusPoint(newest.position), createdAt: newest.createdAt } : null },
    segments: { count: catalog.segments.length, events: catalog.segments.reduce((n, s) => n + s.count, 0), bytes: catalog.segments.reduce((n, s) => n + s.file.bytes, 0) },
    gaps,
    openGaps: gaps.filter((g) => g.to === null).length,
    lastVerify: record ? lastVerifyView(record, nowMs) : null,
    processes,
    kafka,
    unreadable: [...statusFiles.unreadable, ...(verify.problem ? [{ file: opened.store.locate('verify.json'), problem: verify.problem }] : [])],
    thresholds: t,
  };
  const reasons = judge(facts);
  const result: Partial<Facts> = { ...facts };
  delete result.catalog;
  return { verdict: verdictOf(reasons), reasons, ...(result as Omit<Facts, 'catalog'>) };
}

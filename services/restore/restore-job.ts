/**
 * A restore job: checks everything that could refuse it before the first
 * write (namespaces, scope, confirmation for the source, every document it
 * would write read once by the check pass, into-empty targets), then restores
 * the selected namespaces in parallel with a bound, and returns the final
 * report. A dry run makes every check a real run makes, in the same order.
 * When the target fails after the first write, the error says what was
 * written and how to resume. The state at T is given (archive-state.ts opens
 * it), so this file decides and writes, and never touches the archive.
 */
import { randomUUID } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import { describePosition, formatPosition, positionToIso } from '../../contracts/index.js';
import { RewindError } from '../../contracts/errors.js';
import type { ErrorContext } from '../../contracts/errors.js';
import { KeySet, keyToJson } from './document-keys.js';
import { RestoreError } from './errors.js';
import { checkNamespace } from './preflight.js';
import type { NamespaceCheck } from './preflight.js';
import { toRestoreError } from './translate-errors.js';
import type { DocumentPredicate } from './filter.js';
import { JobStateFile, zeroCounts } from './job-state.js';
import type { ActionCounts } from './job-state.js';
import { checkMappingsUsed, hasWildcard, mapNamespace, selectNamespaces, validateMappings } from './namespace-scope.js';
import type { NamespaceMapping } from './namespace-scope.js';
import type { DocumentScope, RestoreMode } from './plan-actions.js';
import { restoreNamespace } from './restore-namespace.js';
import type { NamespaceReport } from './restore-namespace.js';
import type { StateAtT } from './state-source.js';
import { ensureCollection, isEmpty, targetCollection } from './target-collections.js';
import type { MetadataOutcome } from './target-collections.js';

export interface RestoreJobOptions {
  state: StateAtT;
  /** The destination server. */
  client: MongoClient;
  /** True when the destination server is (or, its identity unknown, may be) the captured source itself. */
  inPlace: boolean;
  /** Why inPlace was decided (the identities compared), for the refusal's message. */
  inPlaceReason?: string;
  /** `--yes-overwrite-source`: required to write into captured namespaces of the source. */
  confirmSource: boolean;
  mode: RestoreMode;
  dryRun: boolean;
  namespaces: readonly string[];
  mappings: readonly NamespaceMapping[];
  filter?: DocumentPredicate;
  /** `--id`: single documents of the one selected namespace. */
  ids?: readonly Uint8Array[];
  /** `--keys-from`: keys per source namespace. */
  keysByNamespace?: ReadonlyMap<string, readonly Uint8Array[]>;
  /** Folder of job state files (outside the archive); null for no resumability (dry-run). */
  jobDir: string | null;
  jobId?: string;
  /** What identifies the job's parameters for resume checks (target URI without secrets, options). */
  jobParams?: Record<string, unknown>;
  parallel?: number;
  batchSize?: number;
  batchBytes?: number;
  sampleSize?: number;
  /** `phase` 'check': the check pass reading the archive; 'write': the restore itself. */
  onProgress?: (event: { ns: string; processed: number; total: number | null; phase: 'check' | 'write' }) => void;
  onNamespaceDone?: (report: NamespaceReport) => void;
}

export interface RestoreReport {
  jobId: string | null;
  resumed: boolean;
  mode: RestoreMode;
  dryRun: boolean;
  position: string;
  positionIso: string;
  startedAt: string;
  durationMs: number;
  totals: ActionCounts;
  /** False when the restore inserted, replaced and deleted nothing and created no collection (a dry run: would). */
  changed: boolean;
  /** Where it wrote (set by the request layer): the URI without password and what the deployment said it is. */
  destination?: { uri: string; deployment: string; isCapturedSource: 'yes' | 'no' | 'unknown' };
  namespaces: NamespaceReport[];
}

/** Runs `fn` over `items` with at most `limit` at once; the first failure stops new work and is rethrown. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

function scopeFor(o: RestoreJobOptions, ns: string): DocumentScope {
  const scope: DocumentScope = {};
  if (o.filter) scope.predicate = o.filter;
  if (o.ids) scope.keys = new KeySet(o.ids);
  const fromReport = o.keysByNamespace?.get(ns);
  if (o.keysByNamespace) scope.keys = new KeySet(fromReport ?? []);
  return scope;
}

/** Inserted, replaced or deleted: what a namespace's counts say was written. */
const writesOf = (c: ActionCounts) => c.inserted + c.replaced + c.deleted;

function skippedReport(ns: string, target: string, warning: string): NamespaceReport {
  return { ns, target, counts: zeroCounts(), samples: { insert: [], replace: [], delete: [], unchanged: [], kept: [] }, collectionCreated: false, indexes: [], warnings: [warning], fromEarlierRun: false };
}

/**
 * A failure after the first write: the same error, saying what the target
 * acknowledged before it (from the job state, durable after every batch) and
 * how to resume.
 */
function afterWrites(err: unknown, o: RestoreJobOptions, jobId: string | null, job: JobStateFile | null, created: readonly string[]): unknown {
  const e = toRestoreError(err);
  if (!(e instanceof RewindError)) return err;
  const written: Record<string, ActionCounts & { target: string }> = {};
  for (const [ns, p] of Object.entries(job?.state.namespaces ?? {})) written[ns] = { target: p.target, ...p.counts };
  const lines = Object.entries(written)
    .filter(([, c]) => writesOf(c) > 0)
    .map(([ns, c]) => `${ns} → ${c.target}: ${c.inserted} inserted, ${c.replaced} replaced, ${c.deleted} deleted`);
  const what = [
    ...(created.length ? [`collections created: ${created.join(', ')}`] : []),
    ...(lines.length ? [`acknowledged writes: ${lines.join('; ')}`] : []),
  ];
  const summary = job
    ? `${what.length ? `before the failure, ${what.join('; ')}` : 'nothing was acknowledged before the failure'} (the batches in flight may be partly written; resuming rewrites them); run the same command with --job ${jobId ?? ''} to resume`
    : 'writes may have been made before the failure (no job state: this run cannot be resumed)';
  // The same code and retryable flag (whichever room raised it), the original as the cause.
  return new RewindError(e.code, `${e.message}; ${summary}`, {
    cause: e,
    context: { ...(e.context as ErrorContext), jobId, collectionsCreated: [...created], written },
    retryable: e.retryable,
    ...(e.hint === undefined ? {} : { hint: e.hint }),
  });
}

export async function runRestore(o: RestoreJobOptions): Promise<RestoreReport> {
  const started = Date.now();
  const parallel = o.parallel ?? 4;
  const batchSize = o.batchSize ?? 1000;
  const batchBytes = o.batchBytes ?? 8 * 1024 * 1024;
  const sampleSize = o.sampleSize ?? 10;

  // 1. Everything that can refuse the job, before anything is written; a dry run refuses the same.
  validateMappings(o.mappings);
  const patterns = o.keysByNamespace && o.namespaces.length === 0 ? [...o.keysByNamespace.keys()] : o.namespaces;
  const selected = selectNamespaces(o.state.namespaces, patterns);
  if (o.ids && (patterns.length !== 1 || patterns.some(hasWildcard))) {
    throw new RestoreError('BAD_OPTIONS', '--id needs exactly one --ns db.collection (no wildcard)');
  }
  checkMappingsUsed(selected, o.mappings);
  const destinations = new Map(selected.map((ns) => [ns, mapNamespace(ns, o.mappings)]));
  const seen = new Map<string, string>();
  for (const [ns, dest] of destinations) {
    const other = seen.get(dest);
    if (other) throw new RestoreError('BAD_OPTIONS', `${other} and ${ns} would both be restored into ${dest}`);
    seen.set(dest, ns);
  }
  if (o.inPlace && !o.confirmSource) {
    const captured = new Set(o.state.captured);
    const overwritten = [...destinations.values()].filter((d) => captured.has(d));
    if (overwritten.length > 0) {
      throw new RestoreError('CONFIRMATION_REQUIRED', `${o.inPlaceReason ? `${o.inPlaceReason}; ` : ''}this restore writes into the source itself (${overwritten.join(', ')}); add --yes-overwrite-source to confirm, or restore elsewhere with --target / --ns-to${o.dryRun ? ' (a dry run refuses what the real run would)' : ''}`, {
        context: { namespaces: overwritten, ...(o.inPlaceReason ? { why: o.inPlaceReason } : {}) },
      });
    }
  }

  // The check pass: every document the job would write, read before the first write.
  const checks = new Map<string, NamespaceCheck>();
  await forEachLimited(selected, parallel, async (ns) => {
    checks.set(ns, await checkNamespace(o.state.namespace(ns), scopeFor(o, ns), (n) => o.onProgress?.({ ns, processed: n, total: null, phase: 'check' })));
  });
  // Nothing to restore is said, never written: no --id key at T is a typo (refused), an empty scope creates nothing.
  const at = describePosition(o.state.position);
  const skipped = new Map<string, NamespaceReport>();
  const notes = new Map<string, string[]>();
  if (o.ids) {
    const ns = selected[0] as string;
    const found = new KeySet(checks.get(ns)?.keysFound ?? []);
    const missing = o.ids.filter((k) => !found.has(k)).map((k) => JSON.stringify(keyToJson(k)));
    if (missing.length === o.ids.length && o.mode !== 'overwrite') {
      throw new RestoreError('UNKNOWN_KEY', `no document with --id ${missing.join(', ')} exists in ${ns} at ${at}: nothing to restore, nothing was written (check the key's type: 42, {"$numberLong":"42"} and "42" are three keys)`, {
        context: { ns, keys: missing },
      });
    }
    if (missing.length > 0) {
      notes.set(ns, [`--id ${missing.join(', ')} did not exist at ${at}: ${o.mode === 'overwrite' ? 'deleted from the target where present' : 'nothing to restore for them'}`]);
    }
  }
  if (o.ids || o.keysByNamespace || o.filter) {
    for (const ns of selected) {
      if ((checks.get(ns)?.inScope ?? 0) > 0) continue;
      const dest = destinations.get(ns) as string;
      // Nothing in scope at T: into-empty and missing-only have nothing to insert; overwrite only deletes, and only where documents are.
      if (o.mode === 'overwrite' && !(await isEmpty(targetCollection(o.client, dest)))) continue;
      skipped.set(ns, skippedReport(ns, dest, `no document of ${ns} is in the --id/--keys-from/--filter scope at ${at}: nothing restored, ${dest} left as it is`));
    }
  }
  const toRestore = selected.filter((ns) => !skipped.has(ns));

  const jobId = o.dryRun || o.jobDir === null ? null : (o.jobId ?? randomUUID());
  const job = jobId && o.jobDir !== null
    ? await JobStateFile.open(o.jobDir, jobId, { ...(o.jobParams ?? {}), mode: o.mode, position: formatPosition(o.state.position), namespaces: [...destinations] })
    : null;

  if (o.mode === 'into-empty') {
    const notEmpty: string[] = [];
    for (const ns of toRestore) {
      const dest = destinations.get(ns) as string;
      // A resumed job's own earlier writes are not someone else's data.
      if (job?.state.namespaces[ns]?.prepared) continue;
      if (!(await isEmpty(targetCollection(o.client, dest)))) notEmpty.push(dest);
    }
    if (notEmpty.length > 0) {
      throw new RestoreError('TARGET_NOT_EMPTY', `into-empty refuses non-empty target collections: ${notEmpty.join(', ')} (use --mode overwrite or missing-only, or another target)`, {
        context: { namespaces: notEmpty },
      });
    }
  }

  const reports = new Map<string, NamespaceReport>();
  const created: string[] = [];
  // The job's state file appears now, after every refusal and before the first write.
  if (job && !job.resumed) await job.save();
  try {
    // 2. Destination collections with their options at T, one at a time: creating
    //    several collections of a new database at once races on some servers.
    const prepared = new Map<string, MetadataOutcome>();
    if (!o.dryRun) {
      for (const ns of toRestore) {
        const progress = job?.namespace(ns, destinations.get(ns) as string);
        if (progress?.prepared) continue;
        const outcome = await ensureCollection(o.client, destinations.get(ns) as string, o.state.namespace(ns).metadata);
        prepared.set(ns, outcome);
        if (outcome.created) created.push(destinations.get(ns) as string);
        if (progress) {
          progress.prepared = true;
          await job?.save();
        }
      }
    }

    // 3. The documents, bounded in parallel across namespaces.
    await forEachLimited(toRestore, parallel, async (ns) => {
      const source = o.state.namespace(ns);
      const total = checks.get(ns)?.inScope ?? null;
      const report = await restoreNamespace({
        client: o.client,
        source,
        targetNs: destinations.get(ns) as string,
        mode: o.mode,
        scope: scopeFor(o, ns),
        dryRun: o.dryRun,
        job,
        batchSize,
        batchBytes,
        sampleSize,
        onProgress: (n, processed) => o.onProgress?.({ ns: n, processed, total, phase: 'write' }),
        ...(prepared.has(ns) ? { prepared: prepared.get(ns) } : {}),
      });
      reports.set(ns, report);
      o.onNamespaceDone?.(report);
    });
  } catch (err) {
    throw o.dryRun ? err : afterWrites(err, o, jobId, job, created);
  }

  if (job) {
    job.state.status = 'completed';
    await job.save();
  }
  const namespaces = selected.map((ns) => {
    const report = reports.get(ns) ?? skipped.get(ns);
    if (!report) throw new Error(`no report for ${ns}`); // every selected namespace is restored or skipped
    report.warnings.push(...(notes.get(ns) ?? []));
    return report;
  });
  const totals = zeroCounts();
  for (const r of namespaces) for (const k of Object.keys(totals) as (keyof ActionCounts)[]) totals[k] += r.counts[k];
  return {
    jobId,
    resumed: job?.resumed ?? false,
    mode: o.mode,
    dryRun: o.dryRun,
    position: formatPosition(o.state.position),
    positionIso: positionToIso(o.state.position),
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    totals,
    changed: writesOf(totals) > 0 || namespaces.some((n) => n.collectionCreated),
    namespaces,
  };
}

/**
 * A whole restore request, typed and transport-neutral (the application
 * layer's restore job makes it from a CLI or API request): every field is
 * checked first, then the archive is opened and the state at T prepared
 * (which verifies the files it needs), then the destination is connected and
 * the job runs. Any refusal happens before the first write. Messages name the
 * fields as the caller spells them (`names`), never a flag of their own.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { mongoUriProblem, redactMongoUri } from '../../contracts/mongo-uri.js';
import { archiveLocationText } from '../archive/index.js';
import type { ArchiveRef } from '../archive/index.js';
import { openStateAt } from './archive-state.js';
import { keyFromText } from './document-keys.js';
import { readKeysFromReport } from './diff-report.js';
import { RestoreError } from './errors.js';
import { parseFilter } from './filter.js';
import type { NamespaceMapping } from './namespace-scope.js';
import { openArchive } from './open-archive.js';
import { readDeploymentIdentity } from '../collector/deployment-identity.js';
import { checkJobId } from './job-state.js';
import { checkExistingFolder, checkFolderToCreate, refuseInsideArchive } from './local-paths.js';
import { RESTORE_MODES } from './plan-actions.js';
import type { RestoreMode } from './plan-actions.js';
import { nameOf } from './request-names.js';
import type { RequestNames } from './request-names.js';
import { runRestore } from './restore-job.js';
import type { RestoreReport } from './restore-job.js';
import type { RestoreTarget } from './target-plan.js';
import { placeTarget } from './target-placement.js';
import { targetFailed } from './target-collections.js';
import { translated } from './translate-errors.js';

export interface RestoreProgress {
  ns: string;
  processed: number;
  total: number | null;
  phase: 'check' | 'write';
}

export interface RestoreRequest {
  archive: ArchiveRef;
  /** The point in time restored; `{ kind: 'latest' }` for the newest restorable state. */
  target: RestoreTarget;
  mode: RestoreMode;
  dryRun: boolean;
  /** Namespace patterns (db.coll, `*` wildcards); empty: every namespace. */
  namespaces: readonly string[];
  /** A query document in Extended JSON text (as it is stored in the job's parameters). */
  filter?: string;
  /** Document keys, each the Extended JSON text of an _id. */
  ids: readonly string[];
  /** A `rewind diff` report file whose keys are restored. */
  keysFrom?: string;
  /** Destination URI; absent means in place (sourceUri). */
  targetUri?: string;
  /** The captured source deployment (an in-place restore writes here). */
  sourceUri?: string;
  mappings: readonly NamespaceMapping[];
  /** Confirms writing into the captured source namespaces themselves. */
  confirmSource: boolean;
  jobId?: string;
  jobDir?: string;
  parallel?: number;
  batchSize?: number;
  tempDir?: string;
  /** How the caller names the fields, for messages (the CLI: its flags). */
  names?: RequestNames;
  onProgress?: (event: RestoreProgress) => void;
}

export const DEFAULT_JOB_DIR = join(homedir(), '.rewind', 'restore-jobs');

/** A URI without its password, for job parameters and reports. */
export const redactUri = redactMongoUri;

/** Refuses a URI that cannot be used (BAD_OPTIONS), before the archive is read or anything connected. */
export function checkUri(uri: string | undefined, what: string): void {
  if (uri === undefined) return;
  const problem = mongoUriProblem(uri);
  if (problem) throw new RestoreError('BAD_OPTIONS', `${what}: ${problem}`, { context: { option: what } });
}

export async function restoreFromArchive(req: RestoreRequest): Promise<RestoreReport> {
  return translated(() => restoreFromArchiveUntranslated(req));
}

async function restoreFromArchiveUntranslated(req: RestoreRequest): Promise<RestoreReport> {
  const name = (field: Parameters<typeof nameOf>[1]) => nameOf(req.names, field);
  const archiveName = archiveLocationText(req.archive.location);
  // 1. The request.
  checkUri(req.targetUri, name('targetUri'));
  checkUri(req.sourceUri, name('sourceUri'));
  if (!(RESTORE_MODES as readonly string[]).includes(req.mode)) {
    throw new RestoreError('BAD_OPTIONS', `${name('mode')} must be one of ${RESTORE_MODES.join(', ')}, got ${JSON.stringify(req.mode)}`, { context: { field: 'mode' } });
  }
  const mode = req.mode;
  const filter = req.filter === undefined ? undefined : parseFilter(req.filter);
  const ids = req.ids.length ? req.ids.map(keyFromText) : undefined;
  if (ids && req.keysFrom) throw new RestoreError('BAD_OPTIONS', `give ${name('ids')} or ${name('keysFrom')}, not both`, { context: { field: 'ids' } });
  const mappings: NamespaceMapping[] = req.mappings.map((m) => ({ from: m.from, to: m.to }));
  if (req.jobId !== undefined && req.dryRun) {
    throw new RestoreError('BAD_OPTIONS', `${name('jobId')} has no effect with ${name('dryRun')} (a dry run writes nothing and keeps no job state): drop one of them`, { context: { field: 'jobId' } });
  }
  const report = req.keysFrom ? await readKeysFromReport(req.keysFrom, mode) : null;
  if (report && req.namespaces.length > 0 && req.namespaces.some((p) => p !== report.ns)) {
    throw new RestoreError('BAD_OPTIONS', `${name('namespaces')} ${req.namespaces.map((p) => JSON.stringify(p)).join(', ')} contradicts ${name('keysFrom')} ${req.keysFrom ?? ''}, a report of ${JSON.stringify(report.ns)}: give ${report.ns} or no namespace`, {
      context: { field: 'namespaces', ns: [...req.namespaces], reportNs: report.ns },
    });
  }
  let target = req.target;
  if (report && target.kind === 'latest') target = { kind: 'position', position: `${report.at.seconds}.${report.at.increment}.${report.at.index}` };
  const destination = req.targetUri ?? req.sourceUri;
  if (!destination) {
    throw new RestoreError('BAD_OPTIONS', `no destination: give ${name('targetUri')} (or ${name('sourceUri')} for an in-place restore)`, { context: { field: 'targetUri' } });
  }
  if (req.jobId !== undefined) checkJobId(req.jobId);
  // Local paths before anything is read: a typo is named now, not after the fold.
  const tempDir = req.tempDir === undefined ? undefined : await checkExistingFolder(req.tempDir, name('tempDir'));
  const jobDir = req.dryRun ? null : await checkFolderToCreate(req.jobDir ?? DEFAULT_JOB_DIR, name('jobDir'));
  // A restore never writes into an archive: neither its scratch folder nor its job state.
  if (tempDir) await refuseInsideArchive(tempDir, name('tempDir'), archiveName);
  if (jobDir) await refuseInsideArchive(jobDir, name('jobDir'), archiveName);

  // 2. The archive's catalog.
  const archive = await openArchive(req.archive);

  // 3. The destination, connected before the fold: a wrong or unreachable host fails in seconds, not after it.
  const client = new MongoClient(destination, { serverSelectionTimeoutMS: 15_000 });
  try {
    await client.connect();
  } catch (cause) {
    await client.close().catch(() => undefined);
    throw targetFailed(`connecting to ${redactUri(destination)}`, cause);
  }
  try {
    // The target's identity against the archive's record of its source, before the fold and the first write.
    const placement = placeTarget({ targetGiven: req.targetUri !== undefined, target: await readDeploymentIdentity(client), captured: archive.catalog.deployments ?? [] });
    // 4. The state at T (verifies every file it will read), then the job.
    const namespaces = report ? [report.ns] : req.namespaces;
    const state = await openStateAt({ store: archive.store, catalog: archive.catalog, target, ...(tempDir ? { tempDir } : {}) });
    try {
      const result = await runRestore({
        state,
        client,
        inPlace: placement.inPlace,
        inPlaceReason: placement.reason,
        confirmSource: req.confirmSource,
        mode,
        dryRun: req.dryRun,
        namespaces,
        mappings,
        ...(filter ? { filter } : {}),
        ...(ids ? { ids } : {}),
        ...(report ? { keysByNamespace: new Map([[report.ns, report.keys]]) } : {}),
        jobDir,
        ...(req.jobId ? { jobId: req.jobId } : {}),
        jobParams: {
          archive: archive.root,
          destination: redactUri(destination),
          target,
          filter: req.filter ?? null,
          ids: [...req.ids],
          keysFrom: req.keysFrom ?? null,
          mappings,
        },
        ...(req.parallel ? { parallel: req.parallel } : {}),
        ...(req.batchSize ? { batchSize: req.batchSize } : {}),
        ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      });
      result.destination = { uri: redactUri(destination), deployment: placement.deployment, isCapturedSource: placement.match === 'different' ? 'no' : placement.match === 'same' || placement.match === 'requested' ? 'yes' : 'unknown' };
      if (report?.truncated) {
        result.namespaces[0]?.warnings.push(`the diff report ${req.keysFrom ?? ''} was truncated: only the keys it lists were restored; run diff again with a larger maximum of keys`);
      }
      return result;
    } finally {
      await state.close();
    }
  } finally {
    await client.close();
  }
}

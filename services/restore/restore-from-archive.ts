/**
 * A whole restore request, as the CLI (and later the API) makes it: every
 * flag is checked first, then the archive is opened and the state at T
 * prepared (which verifies the files it needs), then the destination is
 * connected and the job runs. Any refusal happens before the first write.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { mongoUriProblem, redactMongoUri } from '../../contracts/mongo-uri.js';
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
import { runRestore } from './restore-job.js';
import type { RestoreReport } from './restore-job.js';
import { targetFromFlags } from './target-options.js';
import { placeTarget } from './target-placement.js';
import type { TargetFlags } from './target-options.js';
import { targetFailed } from './target-collections.js';
import { translated } from './translate-errors.js';

export interface RestoreRequest {
  archiveDir: string;
  target: TargetFlags;
  mode: string;
  dryRun: boolean;
  namespaces: string[];
  filter?: string;
  ids: string[];
  keysFrom?: string;
  /** Destination URI; absent means in place (sourceUri). */
  targetUri?: string;
  sourceUri?: string;
  /** Where sourceUri came from, for messages (`--source` or `REWIND_SOURCE_URI`). */
  sourceUriFrom?: string;
  nsFrom: string[];
  nsTo: string[];
  confirmSource: boolean;
  jobId?: string;
  jobDir?: string;
  parallel?: number;
  batchSize?: number;
  tempDir?: string;
  onProgress?: (event: { ns: string; processed: number; total: number | null; phase: 'check' | 'write' }) => void;
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
  // 1. Flags.
  checkUri(req.targetUri, '--target');
  checkUri(req.sourceUri, req.sourceUriFrom ?? '--source');
  if (!(RESTORE_MODES as readonly string[]).includes(req.mode)) {
    throw new RestoreError('BAD_OPTIONS', `--mode must be one of ${RESTORE_MODES.join(', ')}, got ${JSON.stringify(req.mode)}`);
  }
  const mode = req.mode as RestoreMode;
  const filter = req.filter === undefined ? undefined : parseFilter(req.filter);
  const ids = req.ids.length ? req.ids.map(keyFromText) : undefined;
  if (ids && req.keysFrom) throw new RestoreError('BAD_OPTIONS', 'give --id or --keys-from, not both');
  if (req.nsFrom.length !== req.nsTo.length) throw new RestoreError('BAD_OPTIONS', `--ns-from and --ns-to come in pairs (got ${req.nsFrom.length} and ${req.nsTo.length})`);
  const mappings: NamespaceMapping[] = req.nsFrom.map((from, i) => ({ from, to: req.nsTo[i] as string }));
  if (req.jobId !== undefined && req.dryRun) throw new RestoreError('BAD_OPTIONS', '--job has no effect with --dry-run (a dry run writes nothing and keeps no job state): drop one of them');
  const report = req.keysFrom ? await readKeysFromReport(req.keysFrom, mode) : null;
  if (report && req.namespaces.length > 0 && req.namespaces.some((p) => p !== report.ns)) {
    throw new RestoreError('BAD_OPTIONS', `--ns ${req.namespaces.map((p) => JSON.stringify(p)).join(', ')} contradicts --keys-from ${req.keysFrom ?? ''}, a report of ${JSON.stringify(report.ns)}: give --ns ${report.ns} or leave --ns out`, {
      context: { ns: [...req.namespaces], reportNs: report.ns },
    });
  }
  let target = targetFromFlags(req.target);
  if (report && target.kind === 'latest') target = { kind: 'position', position: `${report.at.seconds}.${report.at.increment}.${report.at.index}` };
  const destination = req.targetUri ?? req.sourceUri;
  if (!destination) throw new RestoreError('BAD_OPTIONS', 'give --target <uri> (or --source <uri> / REWIND_SOURCE_URI for an in-place restore)');
  if (req.jobId !== undefined) checkJobId(req.jobId);
  // Local paths before anything is read: a typo is named now, not after the fold.
  const tempDir = req.tempDir === undefined ? undefined : await checkExistingFolder(req.tempDir, '--temp-dir');
  const jobDir = req.dryRun ? null : await checkFolderToCreate(req.jobDir ?? DEFAULT_JOB_DIR, '--job-dir');
  // A restore never writes into an archive: neither its scratch folder nor its job state.
  if (tempDir) await refuseInsideArchive(tempDir, '--temp-dir', req.archiveDir);
  if (jobDir) await refuseInsideArchive(jobDir, '--job-dir', req.archiveDir);

  // 2. The archive's catalog.
  const archive = await openArchive(req.archiveDir);

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
          ids: req.ids,
          keysFrom: req.keysFrom ?? null,
          mappings,
        },
        ...(req.parallel ? { parallel: req.parallel } : {}),
        ...(req.batchSize ? { batchSize: req.batchSize } : {}),
        ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      });
      result.destination = { uri: redactUri(destination), deployment: placement.deployment, isCapturedSource: placement.match === 'different' ? 'no' : placement.match === 'same' || placement.match === 'requested' ? 'yes' : 'unknown' };
      if (report?.truncated) {
        result.namespaces[0]?.warnings.push(`the diff report ${req.keysFrom ?? ''} was truncated: only the keys it lists were restored; run diff again with a larger --max-keys`);
      }
      return result;
    } finally {
      await state.close();
    }
  } finally {
    await client.close();
  }
}

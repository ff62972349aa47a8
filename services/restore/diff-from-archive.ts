/**
 * A whole diff request, typed and transport-neutral: fields checked, archive
 * opened, the state at T folded for the one namespace, the live collection
 * streamed, the report written. Messages name the fields as the caller
 * spells them (`names`).
 */
import { writeFile } from 'node:fs/promises';
import { MongoClient } from 'mongodb';
import { archiveLocationText } from '../archive/index.js';
import type { ArchiveRef } from '../archive/index.js';
import { openStateAt } from './archive-state.js';
import { diffNamespace } from './diff.js';
import type { DiffReport } from './diff.js';
import { RestoreError } from './errors.js';
import { hasWildcard, validateNamespaceName } from './namespace-scope.js';
import { checkExistingFolder, checkOutputFile, refuseInsideArchive } from './local-paths.js';
import { openArchive } from './open-archive.js';
import { nameOf } from './request-names.js';
import type { RequestField, RequestNames } from './request-names.js';
import { checkUri, redactUri } from './restore-from-archive.js';
import { targetCollection, targetFailed } from './target-collections.js';
import type { RestoreTarget } from './target-plan.js';
import { translated } from './translate-errors.js';

export interface DiffRequest {
  archive: ArchiveRef;
  /** The archived namespace, db.coll (no wildcard). */
  ns: string;
  /** The archive's state compared; `{ kind: 'latest' }` for the newest restorable state. */
  target: RestoreTarget;
  /** The live MongoDB compared with the archive. */
  liveUri: string;
  /** The live namespace, when it has another name than `ns`. */
  liveNs?: string;
  /** Where the JSON report is written (input of a missing-only restore). */
  out?: string;
  maxKeys?: number;
  batchSize?: number;
  tempDir?: string;
  /** How the caller names the fields, for messages (the CLI: its flags). */
  names?: RequestNames;
  onProgress?: (compared: number) => void;
}

export async function diffFromArchive(req: DiffRequest): Promise<DiffReport> {
  return translated(() => diffUntranslated(req));
}

async function diffUntranslated(req: DiffRequest): Promise<DiffReport> {
  const name = (field: RequestField) => nameOf(req.names, field);
  const archiveName = archiveLocationText(req.archive.location);
  checkUri(req.liveUri, name('liveUri'));
  if (hasWildcard(req.ns)) throw new RestoreError('BAD_OPTIONS', `${name('ns')} of a diff names one collection (no wildcard)`, { context: { field: 'ns' } });
  validateNamespaceName(req.ns, name('ns'));
  if (req.liveNs !== undefined) validateNamespaceName(req.liveNs, name('liveNs'));
  const target = req.target;
  // Local paths before anything is read: a typo is named now, not after the fold.
  const tempDir = req.tempDir === undefined ? undefined : await checkExistingFolder(req.tempDir, name('tempDir'));
  const out = req.out === undefined ? undefined : await checkOutputFile(req.out, name('out'));
  // A diff never writes into an archive: an output file in the archive folder replaced the catalog.
  if (tempDir) await refuseInsideArchive(tempDir, name('tempDir'), archiveName);
  if (out) await refuseInsideArchive(out, name('out'), archiveName);
  const archive = await openArchive(req.archive);
  // The live side, connected before the fold: a wrong or unreachable host fails in seconds, not after it.
  const client = new MongoClient(req.liveUri, { serverSelectionTimeoutMS: 15_000 });
  try {
    await client.connect();
  } catch (cause) {
    await client.close().catch(() => undefined);
    throw targetFailed(`connecting to ${redactUri(req.liveUri)}`, cause);
  }
  try {
    const state = await openStateAt({
      store: archive.store,
      catalog: archive.catalog,
      target,
      verifyNamespaces: (ns) => ns === req.ns,
      ...(tempDir ? { tempDir } : {}),
    });
    try {
      if (!state.namespaces.includes(req.ns)) {
        throw new RestoreError('UNKNOWN_NAMESPACE', `namespace ${JSON.stringify(req.ns)} does not exist in the archive at ${state.position.seconds}.${state.position.increment}.${state.position.index} (known: ${state.namespaces.join(', ') || 'none'})`, { context: { ns: req.ns } });
      }
      const report = await diffNamespace({
        source: state.namespace(req.ns),
        position: state.position,
        live: targetCollection(client, req.liveNs ?? req.ns),
        ...(req.batchSize ? { batchSize: req.batchSize } : {}),
        ...(req.maxKeys ? { maxKeys: req.maxKeys } : {}),
        ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      });
      if (out) {
        try {
          await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
        } catch (cause) {
          throw new RestoreError('OUTPUT_IO', `cannot write the report to ${out}: ${(cause as Error).message}`, { cause });
        }
      }
      return report;
    } finally {
      await state.close();
    }
  } finally {
    await client.close();
  }
}

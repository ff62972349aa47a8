/**
 * A whole diff request: flags checked, archive opened, the state at T folded
 * for the one namespace, the live collection streamed, the report written.
 */
import { writeFile } from 'node:fs/promises';
import { MongoClient } from 'mongodb';
import { openStateAt } from './archive-state.js';
import { diffNamespace } from './diff.js';
import type { DiffReport } from './diff.js';
import { RestoreError } from './errors.js';
import { hasWildcard, validateNamespaceName } from './namespace-scope.js';
import { checkExistingFolder, checkOutputFile, refuseInsideArchive } from './local-paths.js';
import { openArchive } from './open-archive.js';
import { checkUri, redactUri } from './restore-from-archive.js';
import { targetCollection, targetFailed } from './target-collections.js';
import { targetFromFlags } from './target-options.js';
import { translated } from './translate-errors.js';

export interface DiffRequest {
  archiveDir: string;
  ns: string;
  at?: string;
  liveUri: string;
  /** Where liveUri came from, for messages (`--target`, `--source` or `REWIND_SOURCE_URI`). */
  liveUriFrom?: string;
  liveNs?: string;
  out?: string;
  maxKeys?: number;
  batchSize?: number;
  tempDir?: string;
  onProgress?: (compared: number) => void;
}

export async function diffFromArchive(req: DiffRequest): Promise<DiffReport> {
  return translated(() => diffUntranslated(req));
}

async function diffUntranslated(req: DiffRequest): Promise<DiffReport> {
  checkUri(req.liveUri, req.liveUriFrom ?? '--target');
  if (hasWildcard(req.ns)) throw new RestoreError('BAD_OPTIONS', '--ns of diff names one collection (no wildcard)');
  validateNamespaceName(req.ns, '--ns');
  if (req.liveNs !== undefined) validateNamespaceName(req.liveNs, '--live-ns');
  const target = targetFromFlags(req.at === undefined ? {} : { at: req.at });
  // Local paths before anything is read: a typo is named now, not after the fold.
  const tempDir = req.tempDir === undefined ? undefined : await checkExistingFolder(req.tempDir, '--temp-dir');
  const out = req.out === undefined ? undefined : await checkOutputFile(req.out, '--out');
  // A diff never writes into an archive: `--out ARCHIVE/catalog.json` replaced the catalog.
  if (tempDir) await refuseInsideArchive(tempDir, '--temp-dir', req.archiveDir);
  if (out) await refuseInsideArchive(out, '--out', req.archiveDir);
  const archive = await openArchive(req.archiveDir);
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

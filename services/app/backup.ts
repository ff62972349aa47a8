/**
 * The backup job (`rewind backup`, `GET /api/recovery?action=backup`): an
 * on-demand base snapshot of the archive now, folded up to the durable point
 * (services/archiver/on-demand-snapshot.ts), given a name that `rewind
 * catalog` lists and `rewind restore --at-snapshot <name>` restores.
 *
 * Refusals, each before anything is written: a bad or taken name
 * (BAD_OPTIONS, SNAPSHOT_NAME_TAKEN), an archive with no base snapshot or no
 * durable point (NOTHING_TO_SNAPSHOT), an open gap (ARCHIVE_HAS_OPEN_GAP: the
 * history after it is lost, compaction cannot fold across it), and a capture
 * process holding the archive's writer lock (ARCHIVE_BUSY, naming it: a
 * running archiver already compacts on its own schedule; stop it for the
 * backup, or run the backup when it has stopped).
 */
import { SNAPSHOT_NAME_PATTERN, comparePositions, describePosition, parsePosition, positionToIso } from '../../contracts/index.js';
import type { Catalog } from '../../contracts/index.js';
import type { BackupResult } from '../../contracts/backup-result.js';
import { archiveAccessFromEnv } from '../../contracts/runtime-config.js';
import { DEFAULT_CODEC, isArchiveError, openArchiveAt } from '../archive/index.js';
import type { ArchiveAccess, Codec } from '../archive/index.js';
import { takeOnDemandSnapshot } from '../archiver/on-demand-snapshot.js';
import { DEFAULT_COMPACTION_MEMORY_BYTES } from '../replay/compact.js';
import { throughTransaction } from '../replay/transaction-boundary.js';
import { RecoveryError, throwIfAborted } from './recovery-errors.js';

export interface BackupRequest {
  /** Archive folder or s3://bucket/prefix. */
  archive: string;
  /** Default: `backup-<UTC time>` (e.g. backup-20261204T231500Z). */
  name?: string;
  access?: ArchiveAccess;
  codec?: Codec;
  memoryBytes?: number;
  tempDir?: string;
  signal?: AbortSignal;
  onProgress?: (event: { phase: 'lock' | 'fold' | 'commit' | 'done'; detail: string }) => void;
  now?: () => Date;
}

export function defaultBackupName(now: Date): string {
  return `backup-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/** Every reason the catalog cannot give a named snapshot now. */
function checkCatalog(catalog: Catalog, name: string): void {
  const taken = catalog.snapshots.find((s) => s.name === name);
  if (taken) {
    throw new RecoveryError('SNAPSHOT_NAME_TAKEN', `a snapshot is already named ${JSON.stringify(name)} (${taken.id}, at ${taken.position}): choose another --name`, { context: { name, snapshot: taken.id } });
  }
  if (!catalog.durable || catalog.snapshots.length === 0) {
    throw new RecoveryError('NOTHING_TO_SNAPSHOT', 'the archive has no base snapshot yet (capture has not finished its initial copy): start `rewind up` and wait until `rewind catalog` shows a snapshot', {
      context: { snapshots: catalog.snapshots.length, durable: catalog.durable ?? null },
    });
  }
  const open = catalog.gaps.find((g) => g.to === undefined);
  if (open) {
    throw new RecoveryError('ARCHIVE_HAS_OPEN_GAP', `the archive has an open gap after ${open.from} (${open.reason}): the history after it is lost until capture takes a new initial copy, so no snapshot can be folded across it; restart capture (\`rewind up\`) and run the backup after its new base is catalogued`, {
      context: { gap: open },
    });
  }
  const durable = throughTransaction(parsePosition(catalog.durable));
  if (!catalog.snapshots.some((s) => comparePositions(parsePosition(s.position), durable) <= 0)) {
    throw new RecoveryError('NOTHING_TO_SNAPSHOT', `no snapshot at or before the durable point ${catalog.durable}`, { context: { durable: catalog.durable } });
  }
}

export async function runBackup(req: BackupRequest): Promise<BackupResult> {
  const now = (req.now ?? (() => new Date()))();
  const name = req.name ?? defaultBackupName(now);
  if (!SNAPSHOT_NAME_PATTERN.test(name)) {
    throw new RecoveryError('BAD_OPTIONS', `--name ${JSON.stringify(name)} is not a snapshot name: use a letter or digit, then letters, digits, ".", "_" or "-" (at most 100), e.g. before-migration-2026-12-04`, { context: { name } });
  }
  throwIfAborted(req.signal, 'backup');
  const archive = openArchiveAt(req.archive, req.access ?? archiveAccessFromEnv());
  const started = Date.now();
  req.onProgress?.({ phase: 'lock', detail: `taking the writer lock of ${archive.root}` });
  let snap;
  try {
    snap = await takeOnDemandSnapshot({
      store: archive.store,
      catalog: archive.catalog,
      name,
      codec: req.codec ?? DEFAULT_CODEC,
      memoryBytes: req.memoryBytes ?? DEFAULT_COMPACTION_MEMORY_BYTES,
      ...(req.tempDir === undefined ? {} : { tempDir: req.tempDir }),
      ...(req.signal ? { signal: req.signal } : {}),
      check: (catalog) => {
        checkCatalog(catalog, name);
        req.onProgress?.({ phase: 'fold', detail: `folding up to ${catalog.durable ?? ''}` });
      },
    });
  } catch (err) {
    if (isArchiveError(err, 'CATALOG_LOCKED')) {
      const c = err.context as { holderPid: number; holderHost: string; location: string };
      throw new RecoveryError(
        'ARCHIVE_BUSY',
        `another rewind process (pid ${c.holderPid} on ${c.holderHost}) holds the writer lock of ${archive.root}, so nothing was written: a running capture (rewind up / rewind archive) already makes base snapshots on its compaction schedule; to take a named one now, stop that capture, run rewind backup, and start it again`,
        { cause: err, context: { holderPid: c.holderPid, holderHost: c.holderHost, lock: c.location }, retryable: err.retryable },
      );
    }
    if (req.signal?.aborted) throwIfAborted(req.signal, 'backup');
    throw err;
  }
  const position = parsePosition(snap.entry.position);
  const result: BackupResult = {
    kind: 'rewind-backup',
    version: 1,
    archive: archive.root,
    name,
    snapshot: snap.entry.id,
    position: snap.entry.position,
    positionIso: positionToIso(position),
    positionText: describePosition(position),
    base: snap.base,
    eventsFolded: snap.eventsApplied,
    namespaces: snap.entry.namespaces.length,
    documents: snap.entry.namespaces.reduce((n, ns) => n + ns.count, 0),
    bytes: snap.entry.namespaces.reduce((n, ns) => n + ns.files.reduce((m, f) => m + f.bytes, 0), 0),
    createdAt: snap.entry.createdAt,
    durationMs: Date.now() - started,
    restoreWith: ['restore', '--archive', archive.root, '--at-snapshot', name],
  };
  req.onProgress?.({ phase: 'done', detail: `snapshot ${name} at ${result.position}` });
  return result;
}

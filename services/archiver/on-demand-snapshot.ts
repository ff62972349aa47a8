/**
 * An on-demand base snapshot (`rewind backup`): the newest snapshot plus the
 * catalogued segments after it, folded up to the durable point by the same
 * compaction the archiver runs on its schedule (base-builder.ts), written as a
 * new snapshot that carries a name, and catalogued.
 *
 * It writes archive files, so it takes the archive's writer lock for its
 * whole run, exactly as the archiver does: while a capture process (`rewind
 * up`, `rewind archive`) holds the lock this refuses at once with
 * CATALOG_LOCKED naming the holder, before anything is read or written, and
 * while this runs a capture cannot start. A failed or stopped run removes the
 * files it wrote; the catalog is only ever changed by one atomic update.
 */
import { randomBytes } from 'node:crypto';
import { comparePositions, parsePosition } from '../../contracts/index.js';
import type { Catalog, Position, SnapshotEntry } from '../../contracts/index.js';
import type { BlobStore, CatalogStore, Codec } from '../archive/index.js';
import { buildBase } from './base-builder.js';
import { discardUncatalogued } from './orphan-files.js';
import { throughTransaction } from '../replay/transaction-boundary.js';

export interface OnDemandSnapshotOptions {
  store: BlobStore;
  catalog: CatalogStore;
  name: string;
  codec: Codec;
  memoryBytes: number;
  tempDir?: string;
  /** Checked before the fold and again before the commit. */
  signal?: AbortSignal;
  /**
   * Says why the snapshot cannot be made from this catalog (nothing durable, no base, an open gap, a
   * name taken) by throwing; called with the lock held, before anything is written, and again inside the
   * commit (the catalog may have changed between the two only by this process).
   */
  check: (catalog: Catalog) => void;
}

export interface OnDemandSnapshot {
  entry: SnapshotEntry;
  /** The snapshot it was folded from. */
  base: { id: string; position: string };
  eventsApplied: number;
}

/** The newest snapshot at or before `at`. */
function newestAtOrBefore(catalog: Catalog, at: Position): SnapshotEntry | undefined {
  return [...catalog.snapshots]
    .filter((s) => comparePositions(parsePosition(s.position), at) <= 0)
    .sort((a, b) => comparePositions(parsePosition(a.position), parsePosition(b.position)))
    .at(-1);
}

export async function takeOnDemandSnapshot(o: OnDemandSnapshotOptions): Promise<OnDemandSnapshot> {
  // CATALOG_LOCKED (retryable, naming the holder's pid and host) while a capture writes this archive.
  await o.catalog.acquire();
  try {
    const catalog = await o.catalog.read();
    o.check(catalog);
    const upTo = parsePosition(catalog.durable as string);
    // A snapshot folded to this point stands at the end of its clusterTime group: it is a base too.
    const base = newestAtOrBefore(catalog, throughTransaction(upTo)) as SnapshotEntry;
    if (o.signal?.aborted) throw o.signal.reason as Error;
    const built = await buildBase({
      store: o.store,
      catalog,
      base: { position: parsePosition(base.position), namespaces: base.namespaces },
      // Compaction extends the target to the end of its clusterTime group, as restore's latest state does.
      upTo,
      kind: 'compaction',
      codec: o.codec,
      memoryBytes: o.memoryBytes,
      ...(o.tempDir === undefined ? {} : { tempDir: o.tempDir }),
      onGap: 'throw',
      idSuffix: `named-${randomBytes(3).toString('hex')}`,
    });
    const entry: SnapshotEntry = { ...built.entry, name: o.name };
    const paths = entry.namespaces.flatMap((n) => n.files.map((f) => f.path));
    try {
      if (o.signal?.aborted) throw o.signal.reason as Error;
      await o.catalog.update((draft) => {
        o.check(draft);
        draft.snapshots.push(entry);
      });
    } catch (err) {
      await discardUncatalogued(o.store, o.catalog, paths);
      throw err;
    }
    return { entry, base: { id: base.id, position: base.position }, eventsApplied: built.eventsApplied };
  } finally {
    await o.catalog.release().catch(() => undefined);
  }
}

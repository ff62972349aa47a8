/**
 * Makes a base snapshot with the replay engine: a previous base (a snapshot of
 * the catalog, or a raw initial copy) plus the archived events after it,
 * folded to a position and written as a new snapshot. Used for the exact base
 * after an initial copy and for scheduled compaction; no load on the source.
 */
import { randomBytes } from 'node:crypto';
import { formatPosition, positionSortKey } from '../../contracts/index.js';
import type { Catalog, ChangeEvent, Position, SnapshotEntry, SnapshotNamespace } from '../../contracts/index.js';
import { SnapshotNamespaceWriter, readSegment, readSnapshotNamespace, segmentsOverlapping } from '../archive/index.js';
import type { BlobStore, Codec } from '../archive/index.js';
import { compact } from '../replay/compact.js';
import type { GapPolicy } from '../replay/replay-state.js';
import { FsRunStore } from '../replay/fs-run-store.js';

export interface BuildBaseOptions {
  store: BlobStore;
  catalog: Catalog;
  /** The base's namespaces and the position they stand at. */
  base: { position: Position; namespaces: SnapshotNamespace[] };
  upTo: Position;
  kind: SnapshotEntry['kind'];
  codec: Codec;
  memoryBytes: number;
  tempDir?: string;
  /** 'record' for a raw initial copy: an update meeting a document the fuzzy copy missed is deleted again later. */
  onGap: GapPolicy;
  /** Ends the snapshot id (the copy id of an initial copy, so a re-delivered copy is recognised). */
  idSuffix?: string;
}

export interface BuiltBase {
  entry: SnapshotEntry;
  eventsApplied: number;
  gaps: number;
}

async function* eventsAfter(store: BlobStore, catalog: Catalog, from: Position, upTo: Position): AsyncGenerator<ChangeEvent> {
  for (const seg of segmentsOverlapping(catalog, from, upTo)) {
    for await (const e of readSegment(store, seg)) yield e;
  }
}

export async function buildBase(o: BuildBaseOptions): Promise<BuiltBase> {
  const runStore = await FsRunStore.create(o.tempDir ? { parent: o.tempDir } : {});
  const written: SnapshotNamespaceWriter[] = [];
  try {
    const result = await compact({
      base: {
        position: o.base.position,
        namespaces: o.base.namespaces.map((ns) => ({ ns: ns.ns, metadata: ns.metadata, records: readSnapshotNamespace(o.store, ns) })),
      },
      events: eventsAfter(o.store, o.catalog, o.base.position, o.upTo),
      upTo: o.upTo,
      runStore,
      memoryBytes: o.memoryBytes,
      onGap: o.onGap,
    });
    const id = `${positionSortKey(result.position)}-${o.kind}-${o.idSuffix ?? randomBytes(3).toString('hex')}`;
    const namespaces: SnapshotNamespace[] = [];
    for (const ns of result.namespaces) {
      const writer = new SnapshotNamespaceWriter(o.store, id, ns.metadata, { codec: o.codec });
      written.push(writer);
      for await (const r of ns.records) await writer.append(r.key, r.document);
      namespaces.push(await writer.finish());
    }
    await result.dispose();
    return {
      entry: { id, position: formatPosition(result.position), kind: o.kind, namespaces, createdAt: new Date().toISOString() },
      eventsApplied: result.stats.eventsApplied,
      gaps: result.gaps.length,
    };
  } catch (err) {
    for (const w of written) await w.abort().catch(() => undefined);
    throw err;
  } finally {
    await runStore.dispose();
  }
}

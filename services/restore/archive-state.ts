/**
 * The state at T from the archive, as a stream (the StateAtT port): the newest
 * snapshot at or before T plus the segments up to T, folded by the replay
 * engine's compaction (sorted runs in a temporary folder, never in the
 * archive), giving per namespace the sorted documents and the metadata at T.
 *
 * Every archive file the fold will read is verified (length and sha256)
 * before the state is handed out, so a corrupt or missing file is refused,
 * named, before restore writes anything.
 */
import type { Catalog, ChangeEvent, SegmentEntry, SnapshotEntry, SnapshotRecord } from '../../contracts/index.js';
import { describePosition, parsePosition } from '../../contracts/index.js';
import { readSegment, readSnapshotNamespace, verifyFile } from '../archive/index.js';
import type { BlobStore } from '../archive/index.js';
import { compact } from '../replay/compact.js';
import { FsRunStore } from '../replay/fs-run-store.js';
import type { BaseNamespace } from '../replay/base-snapshot.js';
import { RestoreError } from './errors.js';
import type { NamespaceAtT, StateAtT } from './state-source.js';
import { planTarget } from './target-plan.js';
import type { RestoreTarget } from './target-plan.js';
import { translated } from './translate-errors.js';

export interface OpenStateOptions {
  store: BlobStore;
  catalog: Catalog;
  target: RestoreTarget;
  /** Only these namespaces' snapshot files are verified up front (all when absent). */
  verifyNamespaces?: (ns: string) => boolean;
  /** Parent folder of the temporary sorted runs (default: the OS temp folder). */
  tempDir?: string;
  memoryBytes?: number;
}

/** Every namespace the archive has ever captured. */
export function capturedNamespaces(catalog: Catalog): string[] {
  const all = new Set<string>();
  for (const c of catalog.collections) all.add(c.ns);
  for (const s of catalog.snapshots) for (const n of s.namespaces) all.add(n.ns);
  for (const s of catalog.segments) for (const ns of Object.keys(s.namespaces)) if (ns.includes('.')) all.add(ns);
  return [...all].sort();
}

/** The events of the plan's segments, in order. */
async function* eventsOf(store: BlobStore, segments: readonly SegmentEntry[]): AsyncGenerator<ChangeEvent> {
  for (const segment of segments) yield* readSegment(store, segment);
}

function lazyRecords(store: BlobStore, entry: SnapshotEntry['namespaces'][number]): AsyncIterable<SnapshotRecord> {
  // Re-iterable: each pass opens the snapshot files again.
  return { [Symbol.asyncIterator]: () => readSnapshotNamespace(store, entry)[Symbol.asyncIterator]() };
}

export async function openStateAt(options: OpenStateOptions): Promise<StateAtT> {
  const { store, catalog } = options;
  return translated(async () => {
    const plan = await planTarget(store, catalog, options.target);
    const snapshot = plan.snapshot;
    const basePosition = parsePosition(snapshot.position);
    const segments = plan.segments;

    // Verify before folding: nothing is written by the caller until this returns.
    for (const s of segments) await verifyFile(store, s.file);
    for (const n of snapshot.namespaces) {
      if (options.verifyNamespaces && !options.verifyNamespaces(n.ns)) continue;
      for (const f of n.files) await verifyFile(store, f);
    }

    const base: BaseNamespace[] = snapshot.namespaces.map((n) => ({ ns: n.ns, metadata: n.metadata, records: lazyRecords(store, n) }));
    const runStore = await FsRunStore.create(options.tempDir === undefined ? {} : { parent: options.tempDir });
    try {
      const folded = await compact({
        base: { position: basePosition, namespaces: base },
        events: eventsOf(store, segments),
        upTo: plan.target,
        runStore,
        ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
      });
      const byNs = new Map(folded.namespaces.map((n) => [n.ns, n]));
      const counts = new Map(snapshot.namespaces.map((n) => [n.ns, n.count]));
      return {
        position: plan.target,
        namespaces: [...byNs.keys()].sort(),
        captured: capturedNamespaces(catalog),
        namespace: (ns: string): NamespaceAtT => {
          const n = byNs.get(ns);
          if (!n) throw new RestoreError('UNKNOWN_NAMESPACE', `namespace ${JSON.stringify(ns)} does not exist at ${describePosition(plan.target)}`, { context: { ns } });
          return {
            ns,
            metadata: n.metadata,
            // The snapshot's count is only an estimate of the count at T (for progress).
            count: segments.length === 0 ? (counts.get(ns) ?? null) : null,
            // Errors met while reading are translated by the request layer (translated()); no extra
            // generator layer per document here.
            records: () => n.records,
          };
        },
        close: async () => {
          await folded.dispose();
          await runStore.dispose();
        },
      };
    } catch (err) {
      await runStore.dispose();
      throw err;
    }
  });
}

/**
 * Compaction: a base snapshot plus the events after it, folded forward to a
 * new base snapshot at position P, for data larger than memory.
 *
 * 1. Read the events once, in position order: drop re-deliveries and events
 *    already in the base, stop after P (moved to the end of its clusterTime
 *    group: no transaction is split). DDL is resolved here, on small
 *    metadata: every collection *incarnation* (a base namespace, or one
 *    created by a write or create after a drop) gets its own buckets, a rename
 *    moves an incarnation to its new name, a drop ends it. Document events are
 *    buffered per incarnation; when the buffer passes its share of the memory
 *    budget it is sorted by key (stably, so a key's events stay in position
 *    order) and spilled to the RunStore as one run per incarnation.
 * 2. Per surviving namespace, lazily when its records are read: a k-way merge
 *    of its base records with its runs and the unspilled tail, folding each
 *    key's events onto its base document (merge-namespace.ts).
 */
import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import type { SnapshotRecord } from '../../contracts/avro/snapshot-record.js';
import type { CollectionMetadata } from '../../contracts/catalog.js';
import type { Position } from '../../contracts/position.js';
import { comparePositions, describePosition, formatPosition } from '../../contracts/position.js';
import { documentKeyOf, isDocumentEvent } from './apply-document.js';
import type { BaseNamespace, BaseSnapshot } from './base-snapshot.js';
import { applyMetadataEvent, fromCatalogMetadata, implicitMetadata, toCatalogMetadata, uuidString } from './collection-metadata.js';
import type { MetadataState } from './collection-metadata.js';
import { DuplicateFilter } from './dedup.js';
import { ReplayError } from './errors.js';
import { compareEventPositions, eventPosition, namespaceName } from './event-position.js';
import { compareKeys } from './key-order.js';
import { mergeNamespace } from './merge-namespace.js';
import type { RunEntry } from './merge-namespace.js';
import type { GapPolicy, ReplayGap } from './replay-state.js';
import { encodeRunRecord, runRecordKey } from './run-record.js';
import type { RunStore } from './run-store.js';
import { throughTransaction } from './transaction-boundary.js';

export const DEFAULT_COMPACTION_MEMORY_BYTES = 256 * 1024 * 1024;
/**
 * Share of the budget for buffered events. The rest covers what the budget
 * does not see directly: V8's per-object overhead, the base records and run
 * chunks in flight during the merge, and the garbage between collections.
 */
const BUFFER_SHARE = 0.2;
/** Bookkeeping per buffered record beyond its bytes (array slot, Buffer object). */
const RECORD_OVERHEAD = 96;

export interface CompactOptions {
  base: BaseSnapshot;
  events: AsyncIterable<ChangeEvent> | Iterable<ChangeEvent>;
  upTo: Position;
  runStore: RunStore;
  memoryBytes?: number;
  /** 'throw' (default): an update or delete with unknown prior state stops compaction. */
  onGap?: GapPolicy;
}

export interface CompactedNamespace {
  ns: string;
  metadata: CollectionMetadata;
  /** Sorted by key. Iterate once: it reads the base records, which are read once. */
  records: AsyncIterable<SnapshotRecord>;
}

export interface CompactionStats {
  eventsRead: number;
  eventsApplied: number;
  duplicates: number;
  inBase: number;
  runsWritten: number;
  bytesSpilled: number;
  peakBufferedBytes: number;
}

export interface CompactionResult {
  /** The new snapshot's position: every event at or before it is folded in. */
  position: Position;
  /** Every namespace alive at `position`, by name. */
  namespaces: CompactedNamespace[];
  /** With onGap 'record': the gaps met so far (complete once every namespace's records were read). */
  gaps: ReplayGap[];
  stats: CompactionStats;
  /** Removes this compaction's runs from the run store. */
  dispose(): Promise<void>;
}

interface Incarnation {
  ns: string;
  base?: BaseNamespace;
  metadata: MetadataState;
  runs: string[];
  buffer: RunEntry[];
}

export async function compact(options: CompactOptions): Promise<CompactionResult> {
  const { base, runStore } = options;
  const limit = throughTransaction(options.upTo);
  if (base.position !== null && comparePositions(limit, base.position) < 0) {
    throw new ReplayError('PLAN_BEFORE_WINDOW', `cannot compact to ${describePosition(limit)}: the base is already at ${describePosition(base.position)}`, {
      context: { upTo: formatPosition(limit), base: formatPosition(base.position) },
    });
  }
  const budget = Math.max(1, Math.floor((options.memoryBytes ?? DEFAULT_COMPACTION_MEMORY_BYTES) * BUFFER_SHARE));
  const onGap = options.onGap ?? 'throw';
  const stats: CompactionStats = { eventsRead: 0, eventsApplied: 0, duplicates: 0, inBase: 0, runsWritten: 0, bytesSpilled: 0, peakBufferedBytes: 0 };
  const gaps: ReplayGap[] = [];
  const allRuns = new Set<string>();

  const live = new Map<string, Incarnation>();
  for (const b of base.namespaces) live.set(b.ns, { ns: b.ns, base: b, metadata: fromCatalogMetadata(b.metadata), runs: [], buffer: [] });
  const buffered = new Set<Incarnation>();
  let bufferedBytes = 0;

  const end = async (inc: Incarnation | undefined) => {
    if (inc === undefined) return;
    live.delete(inc.ns);
    bufferedBytes -= inc.buffer.reduce((n, r) => n + r.rec.length + RECORD_OVERHEAD, 0);
    inc.buffer = [];
    buffered.delete(inc);
    for (const id of inc.runs) {
      await runStore.remove(id);
      allRuns.delete(id);
    }
    inc.runs = [];
  };
  const incarnation = (ns: string, ev: ChangeEvent): Incarnation => {
    let inc = live.get(ns);
    if (inc === undefined) {
      inc = { ns, metadata: implicitMetadata(uuidString(ev.collectionUUID)), runs: [], buffer: [] };
      live.set(ns, inc);
    }
    return inc;
  };
  const spill = async () => {
    for (const inc of buffered) {
      const sorted = sortEntries(inc.buffer).map((e) => e.rec);
      const id = await runStore.write(sorted);
      allRuns.add(id);
      inc.runs.push(id);
      stats.runsWritten++;
      stats.bytesSpilled += sorted.reduce((n, r) => n + r.length + 4, 0);
      inc.buffer = [];
    }
    buffered.clear();
    bufferedBytes = 0;
  };

  const dedup = new DuplicateFilter(base.position ?? undefined);
  for await (const ev of options.events) {
    if (compareEventPositions(ev, limit) > 0) break;
    stats.eventsRead++;
    const verdict = dedup.check(ev);
    if (verdict === 'duplicate') stats.duplicates++;
    else if (verdict === 'in-base') stats.inBase++;
    if (verdict !== 'apply') continue;
    stats.eventsApplied++;
    const ns = namespaceName(ev.ns);
    if (isDocumentEvent(ev)) {
      const inc = incarnation(ns, ev);
      const rec = encodeRunRecord(documentKeyOf(ev), ev);
      inc.buffer.push({ key: runRecordKey(rec), rec });
      buffered.add(inc);
      bufferedBytes += rec.length + RECORD_OVERHEAD;
      stats.peakBufferedBytes = Math.max(stats.peakBufferedBytes, bufferedBytes);
      if (bufferedBytes >= budget) await spill();
      continue;
    }
    switch (ev.op) {
      case 'drop':
        await end(live.get(ns));
        break;
      case 'rename': {
        if (ev.to === null) throw new ReplayError('REPLAY_MALFORMED_EVENT', `rename ${ev.id} has no target namespace`, { context: { eventId: ev.id, field: 'to' } });
        const target = namespaceName(ev.to);
        const moving = live.get(ns) ?? incarnation(ns, ev);
        await end(live.get(target));
        live.delete(ns);
        moving.ns = target;
        live.set(target, moving);
        break;
      }
      case 'dropDatabase':
        for (const inc of [...live.values()]) if (inc.ns.startsWith(`${ev.ns.db}.`)) await end(inc);
        break;
      case 'invalidate':
        break;
      default: {
        const inc = incarnation(ns, ev);
        inc.metadata = applyMetadataEvent(inc.metadata, ev);
      }
    }
  }

  const recordGap = (ns: string) => (ev: ChangeEvent, reason: string) => {
    const gap: ReplayGap = { eventId: ev.id, position: formatPosition(eventPosition(ev)), ns, reason };
    if (onGap === 'throw') throw new ReplayError('REPLAY_GAP', `${ns}: ${reason}`, { context: { ...gap } });
    gaps.push(gap);
  };
  const namespaces = [...live.values()]
    .sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0))
    .map((inc): CompactedNamespace => {
      const tail = sortEntries(inc.buffer);
      const runs = inc.runs;
      const baseRecords = inc.base?.records;
      return {
        ns: inc.ns,
        metadata: toCatalogMetadata(inc.ns, inc.metadata),
        records: {
          [Symbol.asyncIterator]: () =>
            mergeNamespace({
              ...(baseRecords === undefined ? {} : { base: baseRecords }),
              runs: runs.map((id) => runStore.read(id)),
              tail,
              onGap: recordGap(inc.ns),
            })[Symbol.asyncIterator](),
        },
      };
    });

  return {
    position: limit,
    namespaces,
    gaps,
    stats,
    dispose: async () => {
      for (const id of allRuns) await runStore.remove(id);
      allRuns.clear();
    },
  };
}

function sortEntries(entries: RunEntry[]): RunEntry[] {
  // Array.prototype.sort is stable: a key's events keep their position order.
  return entries.sort((a, b) => compareKeys(a.key, b.key));
}


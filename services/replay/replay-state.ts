/**
 * The in-memory replay: every namespace's documents (keyed by `{ _id }` key
 * bytes) and collection metadata, with events applied one clusterTime group at
 * a time so a transaction is never half applied. For data larger than memory
 * use compact(), which folds the same way with sorted runs.
 */
import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import type { SnapshotRecord } from '../../contracts/avro/snapshot-record.js';
import type { CollectionMetadata } from '../../contracts/catalog.js';
import type { Position } from '../../contracts/position.js';
import { formatPosition } from '../../contracts/position.js';
import { applyDocumentEvent, documentKeyOf, isDocumentEvent } from './apply-document.js';
import type { BaseSnapshot } from './base-snapshot.js';
import { applyMetadataEvent, fromCatalogMetadata, implicitMetadata, toCatalogMetadata, uuidString } from './collection-metadata.js';
import type { MetadataState } from './collection-metadata.js';
import { DuplicateFilter } from './dedup.js';
import { ReplayError } from './errors.js';
import { compareEventPositions, eventPosition, namespaceName } from './event-position.js';
import { compareKeys } from './key-order.js';
import { throughTransaction } from './transaction-boundary.js';

export interface ReplayGap {
  eventId: string;
  position: string;
  ns: string;
  reason: string;
}

export type GapPolicy = 'throw' | 'record';

interface NamespaceState {
  docs: Map<string, { key: Buffer; doc: Buffer }>;
  metadata: MetadataState;
}

export interface ReplayStats {
  applied: number;
  duplicates: number;
  inBase: number;
  groups: number;
}

const keyId = (key: Buffer) => key.toString('latin1');

export class ReplayState {
  private readonly namespaces = new Map<string, NamespaceState>();
  readonly gaps: ReplayGap[] = [];
  private readonly dedup: DuplicateFilter;
  private undo: (() => void)[] | undefined;
  readonly stats: ReplayStats = { applied: 0, duplicates: 0, inBase: 0, groups: 0 };

  constructor(
    readonly basePosition: Position | null = null,
    private readonly onGap: GapPolicy = 'throw',
  ) {
    this.dedup = new DuplicateFilter(basePosition ?? undefined);
  }

  /** Loads a base snapshot into memory (for data that fits; compaction streams instead). */
  static async fromBase(base: BaseSnapshot, onGap: GapPolicy = 'throw'): Promise<ReplayState> {
    const state = new ReplayState(base.position, onGap);
    for (const b of base.namespaces) {
      const docs = new Map<string, { key: Buffer; doc: Buffer }>();
      for await (const r of b.records) docs.set(keyId(r.key), { key: r.key, doc: r.document });
      state.namespaces.set(b.ns, { docs, metadata: fromCatalogMetadata(b.metadata) });
    }
    return state;
  }

  /** The last applied position (or the base's). */
  get position(): Position | null {
    return this.dedup.lastApplied ?? this.basePosition;
  }

  /**
   * Applies events in position order through `upTo` (moved to the end of its
   * clusterTime group, so no transaction is split), skipping re-deliveries and
   * events already in the base. Returns at the first event past the target.
   */
  async applyAll(events: AsyncIterable<ChangeEvent> | Iterable<ChangeEvent>, upTo?: Position): Promise<ReplayStats> {
    const limit = upTo === undefined ? undefined : throughTransaction(upTo);
    let group: ChangeEvent[] = [];
    const step = (ev: ChangeEvent): boolean => {
      if (limit !== undefined && compareEventPositions(ev, limit) > 0) return false;
      const verdict = this.dedup.check(ev);
      if (verdict === 'duplicate') this.stats.duplicates++;
      else if (verdict === 'in-base') this.stats.inBase++;
      if (verdict !== 'apply') return true;
      const head = group[0];
      if (head !== undefined && (head.seconds !== ev.seconds || head.increment !== ev.increment)) {
        this.applyGroup(group);
        group = [];
      }
      group.push(ev);
      return true;
    };
    // A synchronous source is read without an await per event.
    if (Symbol.iterator in events) {
      for (const ev of events) if (!step(ev)) break;
    } else {
      for await (const ev of events) if (!step(ev)) break;
    }
    if (group.length > 0) this.applyGroup(group);
    return this.stats;
  }

  /** Applies the events of one clusterTime group atomically: on an error nothing of the group stays. */
  applyGroup(events: readonly ChangeEvent[]): void {
    // A lone event changes state only after every check passed: it needs no undo log.
    this.undo = events.length > 1 ? [] : undefined;
    try {
      for (const ev of events) this.applyEvent(ev);
      this.stats.groups++;
      this.stats.applied += events.length;
    } catch (e) {
      for (const u of (this.undo ?? []).reverse()) u();
      throw e;
    } finally {
      this.undo = undefined;
    }
  }

  private setNamespace(name: string, value: NamespaceState | undefined): void {
    const prior = this.namespaces.get(name);
    this.undo?.push(() => (prior === undefined ? this.namespaces.delete(name) : this.namespaces.set(name, prior)));
    if (value === undefined) this.namespaces.delete(name);
    else this.namespaces.set(name, value);
  }

  private gap(ev: ChangeEvent, ns: string, reason: string): void {
    const gap = { eventId: ev.id, position: formatPosition(eventPosition(ev)), ns, reason };
    if (this.onGap === 'throw') throw new ReplayError('REPLAY_GAP', `${ns}: ${reason}`, { details: { ...gap } });
    this.gaps.push(gap);
  }

  private applyEvent(ev: ChangeEvent): void {
    const ns = namespaceName(ev.ns);
    if (isDocumentEvent(ev)) {
      const key = documentKeyOf(ev);
      const id = keyId(key);
      let state = this.namespaces.get(ns);
      const prior = state?.docs.get(id);
      const outcome = applyDocumentEvent(prior?.doc, ev);
      if (outcome.kind === 'gap') {
        this.gap(ev, ns, outcome.reason);
        return;
      }
      if (state === undefined) {
        // A write to a collection that does not exist creates it.
        state = { docs: new Map(), metadata: implicitMetadata(uuidString(ev.collectionUUID)) };
        this.setNamespace(ns, state);
      }
      const docs = state.docs;
      this.undo?.push(() => (prior === undefined ? docs.delete(id) : docs.set(id, prior)));
      if (outcome.kind === 'put') docs.set(id, { key, doc: outcome.doc });
      else docs.delete(id);
      return;
    }
    switch (ev.op) {
      case 'drop':
        this.setNamespace(ns, undefined);
        return;
      case 'rename': {
        if (ev.to === null) throw new ReplayError('REPLAY_MALFORMED_EVENT', `rename ${ev.id} has no target namespace`, { details: { eventId: ev.id, field: 'to' } });
        const moved = this.namespaces.get(ns);
        this.setNamespace(ns, undefined);
        // dropTarget: the target's former contents are gone either way.
        this.setNamespace(namespaceName(ev.to), moved ?? { docs: new Map<string, { key: Buffer; doc: Buffer }>(), metadata: implicitMetadata() });
        return;
      }
      case 'dropDatabase':
        for (const name of [...this.namespaces.keys()]) if (name.startsWith(`${ev.ns.db}.`)) this.setNamespace(name, undefined);
        return;
      case 'invalidate':
        return;
      case 'create':
      case 'createIndexes':
      case 'dropIndexes':
      case 'modify': {
        const current = this.namespaces.get(ns);
        const metadata = applyMetadataEvent(current?.metadata, ev);
        this.setNamespace(ns, { docs: current?.docs ?? new Map<string, { key: Buffer; doc: Buffer }>(), metadata });
        return;
      }
      default:
        throw new ReplayError('REPLAY_MALFORMED_EVENT', `event ${ev.id}: unknown operation ${String(ev.op)}`, { details: { eventId: ev.id, field: 'op' } });
    }
  }

  namespaceNames(): string[] {
    return [...this.namespaces.keys()].sort();
  }

  /** The namespace's documents sorted by key, as a snapshot holds them. */
  records(ns: string): SnapshotRecord[] {
    const docs = this.namespaces.get(ns)?.docs;
    if (!docs) return [];
    return [...docs.values()].sort((a, b) => compareKeys(a.key, b.key)).map((d) => ({ key: d.key, document: d.doc }));
  }

  document(ns: string, key: Buffer): Buffer | undefined {
    return this.namespaces.get(ns)?.docs.get(keyId(key))?.doc;
  }

  metadata(ns: string): CollectionMetadata | undefined {
    const s = this.namespaces.get(ns);
    return s && toCatalogMetadata(ns, s.metadata);
  }
}

/**
 * The in-memory replay: every namespace's documents (keyed by `{ _id }` key
 * bytes) and collection metadata, with events applied one clusterTime group at
 * a time so a transaction is never half applied. For data larger than memory
 * use compact(), which folds the same way with sorted runs.
 */
import type { ChangeEvent, UpdateDescriptionRecord } from '../../contracts/avro/change-event.js';
import type { SnapshotRecord } from '../../contracts/avro/snapshot-record.js';
import type { CollectionMetadata } from '../../contracts/catalog.js';
import type { Position } from '../../contracts/position.js';
import { formatPosition } from '../../contracts/position.js';
import { documentAction, documentKeyOf, gapReason, inconsistentUpdate, isDocumentEvent } from './apply-document.js';
import { UpdateApplyError, compileUpdateDescription } from './apply-update.js';
import type { BaseSnapshot } from './base-snapshot.js';
import { applyMetadataEvent, fromCatalogMetadata, implicitMetadata, toCatalogMetadata, uuidString } from './collection-metadata.js';
import type { MetadataState } from './collection-metadata.js';
import { DuplicateFilter } from './dedup.js';
import { DocumentStore, keyHash } from './document-store.js';
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

/** Events per warmed batch: enough misses to overlap, few enough to stay in the cache until applied. */
const WARM_BATCH = 32;

interface NamespaceState {
  docs: DocumentStore;
  metadata: MetadataState;
}

export interface ReplayStats {
  applied: number;
  duplicates: number;
  inBase: number;
  groups: number;
}

export class ReplayState {
  private readonly namespaces = new Map<string, NamespaceState>();
  readonly gaps: ReplayGap[] = [];
  private readonly dedup: DuplicateFilter;
  private undo: (() => void)[] | undefined;
  readonly stats: ReplayStats = { applied: 0, duplicates: 0, inBase: 0, groups: 0 };
  /** The batch being warmed and applied (see warm()), its documents' stores, and a number per event for warm()'s passes. */
  private readonly batch: (ChangeEvent | undefined)[] = new Array<ChangeEvent | undefined>(WARM_BATCH).fill(undefined);
  private readonly batchStores: (DocumentStore | undefined)[] = new Array<DocumentStore | undefined>(WARM_BATCH).fill(undefined);
  private readonly batchWords = new Int32Array(WARM_BATCH);
  /** What warm() read, kept so that its loads are not dropped as dead code. */
  warmSink = 0;

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
      const docs = new DocumentStore();
      for await (const r of b.records) docs.put(r.key, r.document);
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
    // The open clusterTime group: its first event, and the others when there are any (most groups are one
    // event, applied without an array; emptying a reused array would reallocate its storage on every push).
    let head: ChangeEvent | undefined;
    let rest: ChangeEvent[] | undefined;
    const close = (): void => {
      if (head === undefined) return;
      const first = head;
      const more = rest;
      head = undefined;
      rest = undefined;
      if (more === undefined) this.applyOne(first);
      else this.applyGroup([first, ...more]);
    };
    const step = (ev: ChangeEvent): boolean => {
      if (limit !== undefined && compareEventPositions(ev, limit) > 0) return false;
      const verdict = this.dedup.check(ev);
      if (verdict === 'duplicate') this.stats.duplicates++;
      else if (verdict === 'in-base') this.stats.inBase++;
      if (verdict !== 'apply') return true;
      if (head !== undefined && (head.seconds !== ev.seconds || head.increment !== ev.increment)) close();
      if (head === undefined) head = ev;
      else (rest ??= []).push(ev);
      return true;
    };
    // Events are applied in batches, each warmed first (see warm()).
    const batch = this.batch;
    let n = 0;
    let stopped = false;
    const flush = (): void => {
      this.warm(n);
      for (let i = 0; i < n && !stopped; i++) stopped = !step(batch[i] as ChangeEvent);
      n = 0;
    };
    // A synchronous source is read without an await per event.
    if (Symbol.iterator in events) {
      for (const ev of events) {
        batch[n++] = ev;
        if (n === WARM_BATCH) flush();
        if (stopped) break;
      }
    } else {
      for await (const ev of events) {
        batch[n++] = ev;
        if (n === WARM_BATCH) flush();
        if (stopped) break;
      }
    }
    if (!stopped) flush();
    batch.fill(undefined);
    close();
    return this.stats;
  }

  /**
   * Reads ahead the table slots, then the records, of the batch's documents
   * (see DocumentStore's reading ahead). Reads only: a hint, never a decision.
   */
  private warm(n: number): void {
    const batch = this.batch;
    const stores = this.batchStores;
    const words = this.batchWords;
    // Hashes first: no misses, so the passes after it are nothing but loads.
    for (let i = 0; i < n; i++) {
      const ev = batch[i] as ChangeEvent;
      stores[i] = undefined;
      if (!isDocumentEvent(ev) || ev.documentKey === null) continue;
      const docs = this.namespaces.get(namespaceName(ev.ns))?.docs;
      if (docs === undefined) continue;
      stores[i] = docs;
      words[i] = keyHash(ev.documentKey);
    }
    for (let i = 0; i < n; i++) {
      const s = stores[i];
      if (s !== undefined) words[i] = s.tableWord(words[i] as number);
    }
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const s = stores[i];
      if (s !== undefined) sum += s.warmRecord(words[i] as number);
    }
    this.warmSink = sum;
  }

  /** A group of one event: it changes state only after every check passed, so it needs no undo log. */
  private applyOne(ev: ChangeEvent): void {
    this.undo = undefined;
    this.applyEvent(ev);
    this.stats.groups++;
    this.stats.applied++;
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
    if (this.onGap === 'throw') throw new ReplayError('REPLAY_GAP', `${ns}: ${reason}`, { context: { ...gap } });
    this.gaps.push(gap);
  }

  private applyEvent(ev: ChangeEvent): void {
    const ns = namespaceName(ev.ns);
    if (isDocumentEvent(ev)) {
      this.applyDocumentEvent(ev, ns);
      return;
    }
    switch (ev.op) {
      case 'drop':
        this.setNamespace(ns, undefined);
        return;
      case 'rename': {
        if (ev.to === null) throw new ReplayError('REPLAY_MALFORMED_EVENT', `rename ${ev.id} has no target namespace`, { context: { eventId: ev.id, field: 'to' } });
        const moved = this.namespaces.get(ns);
        this.setNamespace(ns, undefined);
        // dropTarget: the target's former contents are gone either way.
        this.setNamespace(namespaceName(ev.to), moved ?? { docs: new DocumentStore(), metadata: implicitMetadata() });
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
        this.setNamespace(ns, { docs: current?.docs ?? new DocumentStore(), metadata });
        return;
      }
      default:
        throw new ReplayError('REPLAY_MALFORMED_EVENT', `event ${ev.id}: unknown operation ${String(ev.op)}`, { context: { eventId: ev.id, field: 'op' } });
    }
  }

  private applyDocumentEvent(ev: ChangeEvent, ns: string): void {
    const key = documentKeyOf(ev);
    let state = this.namespaces.get(ns);
    const entry = state === undefined ? -1 : state.docs.find(key);
    const action = documentAction(entry >= 0, ev);
    if (action === 'gap') {
      this.gap(ev, ns, gapReason(ev));
      return;
    }
    if (state === undefined) {
      // A write to a collection that does not exist creates it.
      state = { docs: new DocumentStore(), metadata: implicitMetadata(uuidString(ev.collectionUUID)) };
      this.setNamespace(ns, state);
    }
    const docs = state.docs;
    const undo = this.undo;
    // Compaction moves documents: only while no undo entry of this group holds a location.
    if (undo === undefined || undo.length === 0) docs.maybeCompact();
    if (undo !== undefined) {
      const at = entry >= 0 ? docs.location(entry) : -1;
      undo.push(() => docs.restore(key, at));
    }
    switch (action) {
      case 'put':
        if (entry >= 0) docs.replace(entry, ev.fullDocument as Buffer, undo === undefined);
        else docs.add(key, ev.fullDocument as Buffer);
        return;
      case 'delete':
        docs.remove(entry);
        return;
      case 'update':
        try {
          // In place only without an undo log: undoing needs the current version intact.
          docs.update(entry, compileUpdateDescription(ev.updateDescription as UpdateDescriptionRecord), undo === undefined);
        } catch (e) {
          throw e instanceof UpdateApplyError ? inconsistentUpdate(ev, e) : e;
        }
        return;
    }
  }

  namespaceNames(): string[] {
    return [...this.namespaces.keys()].sort();
  }

  /** The namespace's documents sorted by key, as a snapshot holds them. */
  records(ns: string): SnapshotRecord[] {
    const docs = this.namespaces.get(ns)?.docs;
    if (!docs) return [];
    return docs.entries().sort((a, b) => compareKeys(a.key, b.key));
  }

  document(ns: string, key: Buffer): Buffer | undefined {
    const docs = this.namespaces.get(ns)?.docs;
    const entry = docs === undefined ? -1 : docs.find(key);
    return entry < 0 ? undefined : docs?.document(entry);
  }

  metadata(ns: string): CollectionMetadata | undefined {
    const s = this.namespaces.get(ns);
    return s && toCatalogMetadata(ns, s.metadata);
  }
}

/**
 * Builds a real archive for restore's tests with the archive room's writers
 * and the replay room's compaction (what the archiver does in production):
 * an initial-copy snapshot, segments of normalized events, and compactions
 * into new base snapshots along the way, each committed to the catalog.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import { compareDocumentKeys, formatPosition, parsePosition, positionSortKey } from '../../../contracts/index.js';
import type { Catalog, ChangeEvent, Position, SnapshotNamespace } from '../../../contracts/index.js';
import { CatalogStore, FsBlobStore, readSegment, readSnapshotNamespace, segmentsOverlapping, writeSegment, writeSnapshotNamespace } from '../../../services/archive/index.js';
import { normalizeChangeEvent } from '../../../services/collector/normalize-event.js';
import { compact } from '../../../services/replay/compact.js';
import { ID_INDEX } from '../../../services/replay/collection-metadata.js';
import { MemoryRunStore } from '../../../services/replay/run-store.js';
import type { RawGroup } from './workload.js';

export class TestArchive {
  private pending: ChangeEvent[] = [];

  private constructor(
    readonly root: string,
    readonly store: FsBlobStore,
    readonly catalogs: CatalogStore,
  ) {}

  static async create(sourceId = 'test-source'): Promise<TestArchive> {
    const root = await mkdtemp(join(tmpdir(), 'rewind-test-archive-'));
    const archive = new TestArchive(root, new FsBlobStore(root), new CatalogStore(root));
    await archive.catalogs.init(sourceId);
    return archive;
  }

  catalog(): Promise<Catalog> {
    return this.catalogs.read();
  }

  /** The initial copy: a snapshot of the given documents at `at`. */
  async initialSnapshot(at: Position, byNs: Map<string, Document[]>): Promise<void> {
    const id = `initial-${positionSortKey(at)}`;
    const namespaces: SnapshotNamespace[] = [];
    for (const [ns, docs] of [...byNs].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const records = docs.map((d) => ({ key: Buffer.from(serialize({ _id: d._id as unknown })), document: Buffer.from(serialize(d)) })).sort((a, b) => compareDocumentKeys(a.key, b.key));
      namespaces.push(await writeSnapshotNamespace(this.store, id, { ns, indexes: [ID_INDEX], options: {} }, records));
    }
    await this.catalogs.update((c) => {
      c.snapshots.push({ id, position: formatPosition(at), kind: 'initial-copy', namespaces, createdAt: new Date().toISOString() });
      c.durable = formatPosition(at);
    });
  }

  /**
   * An initial copy of one namespace generated document by document (for large
   * benchmarks: nothing is held in memory). `make(i)` must give ascending keys.
   */
  async initialSnapshotFrom(at: Position, ns: string, count: number, make: (i: number) => Document): Promise<void> {
    const id = `initial-${positionSortKey(at)}`;
    async function* records() {
      for (let i = 0; i < count; i++) {
        const d = make(i);
        yield await Promise.resolve({ key: Buffer.from(serialize({ _id: d._id as unknown })), document: Buffer.from(serialize(d)) });
      }
    }
    const entry = await writeSnapshotNamespace(this.store, id, { ns, indexes: [ID_INDEX], options: {} }, records());
    await this.catalogs.update((c) => {
      c.snapshots.push({ id, position: formatPosition(at), kind: 'initial-copy', namespaces: [entry], createdAt: new Date().toISOString() });
      c.durable = formatPosition(at);
    });
  }

  /** Normalizes a group's raw events (index = place in the group) and queues them for the next segment. */
  add(group: RawGroup): ChangeEvent[] {
    const events = group.events.map((raw, index) => normalizeChangeEvent(serialize(raw), { index, fullDocumentMode: 'default' }));
    this.pending.push(...events);
    return events;
  }

  /** Writes the queued events as one segment and advances the durable position. */
  async flush(durable?: Position): Promise<void> {
    if (this.pending.length === 0) {
      if (durable) await this.catalogs.update((c) => void (c.durable = formatPosition(durable)));
      return;
    }
    const events = this.pending;
    this.pending = [];
    const entry = await writeSegment(this.store, events);
    await this.catalogs.update((c) => {
      c.segments.push(entry);
      c.durable = durable ? formatPosition(durable) : entry.last;
    });
  }

  /** Folds the newest snapshot and the segments after it into a new snapshot at `upTo`. */
  async compactTo(upTo: Position): Promise<void> {
    const catalog = await this.catalog();
    const newest = [...catalog.snapshots].sort((a, b) => (positionSortKey(parsePosition(b.position)) < positionSortKey(parsePosition(a.position)) ? -1 : 1))[0];
    if (!newest) throw new Error('no snapshot to compact from');
    const from = parsePosition(newest.position);
    const store = this.store;
    const segments = segmentsOverlapping(catalog, from, upTo);
    async function* events() {
      for (const s of segments) yield* readSegment(store, s);
    }
    const folded = await compact({
      base: { position: from, namespaces: newest.namespaces.map((n) => ({ ns: n.ns, metadata: n.metadata, records: readSnapshotNamespace(store, n) })) },
      events: events(),
      upTo,
      runStore: new MemoryRunStore(),
      memoryBytes: 64 * 1024,
    });
    const id = `compaction-${positionSortKey(folded.position)}`;
    const namespaces: SnapshotNamespace[] = [];
    for (const n of folded.namespaces) namespaces.push(await writeSnapshotNamespace(this.store, id, n.metadata, n.records));
    await folded.dispose();
    await this.catalogs.update((c) => {
      c.snapshots.push({ id, position: formatPosition(folded.position), kind: 'compaction', namespaces, createdAt: new Date().toISOString() });
    });
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

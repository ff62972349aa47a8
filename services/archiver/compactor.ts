/**
 * Scheduled compaction: the newest base snapshot plus the segments after it,
 * folded into a new base, when the policy says it is due (by cluster time or
 * by volume). It runs beside archiving (it reads catalogued files only), so a
 * long one never stalls the log; a failed one loses nothing (the segments
 * stay) and is tried again later.
 */
import type { Logger } from 'pino';
import { INDEX_MAX, comparePositions, parsePosition, position } from '../../contracts/index.js';
import type { Position } from '../../contracts/index.js';
import { isArchiveError } from '../archive/index.js';
import type { BlobStore, CatalogStore, Codec } from '../archive/index.js';
import type { CompactionPolicy } from './archiver-options.js';
import { buildBase } from './base-builder.js';
import type { CatalogWrites } from './catalog-writes.js';

/** The last position before `p`'s clusterTime group: compaction never splits a transaction still arriving. */
export function wholeTransactionsUpTo(p: Position): Position {
  if (p.index === INDEX_MAX) return p;
  if (p.increment > 0) return position(p.seconds, p.increment - 1, INDEX_MAX);
  return p.seconds > 0 ? position(p.seconds - 1, 0xffff_ffff, INDEX_MAX) : position(0, 0, 0);
}

export interface CompactorOptions {
  store: BlobStore;
  catalog: CatalogStore;
  writes: CatalogWrites;
  codec: Codec;
  policy: CompactionPolicy;
  log: Logger;
  /** Events archived since the newest snapshot, and its reset once a snapshot is taken. */
  eventsSinceSnapshot: () => number;
  snapshotTaken: () => void;
  /** No compaction while an initial copy is being built. */
  copyActive: () => boolean;
  onError: (err: unknown) => void;
}

export class Compactor {
  private running: Promise<void> | null = null;
  lastCompactionAt: string | null = null;

  constructor(private readonly o: CompactorOptions) {}

  get busy(): boolean {
    return this.running !== null;
  }

  /** Starts a compaction check in the background (one at a time); its failures go to onError. */
  start(): void {
    if (this.running) return;
    this.running = this.compactIfDue()
      .catch((err: unknown) => {
        this.o.onError(err);
        this.o.log.error({ err }, 'compaction check failed');
      })
      .finally(() => (this.running = null));
  }

  /** Resolves once no compaction runs. */
  async idle(): Promise<void> {
    await this.running;
  }

  async compactIfDue(): Promise<void> {
    const policy = this.o.policy;
    if (policy.everyMs === null && policy.afterEvents === null) return;
    if (this.o.copyActive()) return;
    const catalog = await this.o.catalog.read();
    if (!catalog.durable || catalog.snapshots.length === 0) return;
    if (catalog.gaps.some((g) => g.to === undefined)) return;
    const newest = [...catalog.snapshots].sort((a, b) => comparePositions(parsePosition(a.position), parsePosition(b.position))).at(-1);
    if (!newest) return;
    const basePos = parsePosition(newest.position);
    const upTo = wholeTransactionsUpTo(parsePosition(catalog.durable));
    if (comparePositions(upTo, basePos) <= 0) return;
    const byTime = policy.everyMs !== null && (Date.now() / 1000 - basePos.seconds) * 1000 >= policy.everyMs;
    const byVolume = policy.afterEvents !== null && this.o.eventsSinceSnapshot() >= policy.afterEvents;
    if (!byTime && !byVolume) return;
    if (catalog.segments.every((s) => comparePositions(parsePosition(s.last), basePos) <= 0)) return;
    const started = Date.now();
    try {
      const built = await buildBase({
        store: this.o.store,
        catalog,
        base: { position: basePos, namespaces: newest.namespaces },
        upTo,
        kind: 'compaction',
        codec: this.o.codec,
        memoryBytes: policy.memoryBytes,
        ...(policy.tempDir ? { tempDir: policy.tempDir } : {}),
        onGap: 'throw',
      });
      await this.o.writes.updateOrDiscard(
        built.entry.namespaces.flatMap((n) => n.files.map((f) => f.path)),
        (draft) => void draft.snapshots.push(built.entry),
      );
      this.o.snapshotTaken();
      this.lastCompactionAt = new Date().toISOString();
      this.o.log.info({ snapshot: built.entry.id, position: built.entry.position, events: built.eventsApplied, ms: Date.now() - started, reason: byVolume ? 'volume' : 'schedule' }, 'compacted into a new base snapshot');
    } catch (err) {
      // A failed compaction loses nothing (the segments stay); it is reported and tried again later.
      this.o.onError(err);
      this.o.log.error({ err }, 'compaction failed; the archive is unchanged');
      if (isArchiveError(err) && !err.retryable) this.o.snapshotTaken();
    }
  }
}

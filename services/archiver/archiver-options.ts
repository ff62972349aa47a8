/** What the archiver needs: where it reads, where it writes, and its policies. */
import type { Logger } from 'pino';
import type { BlobStore, CatalogStore, Codec } from '../archive/index.js';
import type { LogConsumer } from '../eventlog/event-log.js';

export interface CompactionPolicy {
  /** Compact when the newest snapshot is older than this (ms of cluster time); null: never by time. */
  everyMs: number | null;
  /** Compact once this many events were archived since the newest snapshot; null: never by volume. */
  afterEvents: number | null;
  /** Memory budget of compaction's sorted runs. */
  memoryBytes: number;
  /** Where sorted runs spill (default: the OS temp folder). */
  tempDir?: string;
}

export interface RetentionPolicy {
  /** Restorable window to keep (ms); null keeps everything. */
  windowMs: number | null;
}

export interface ArchiverOptions {
  consumer: LogConsumer;
  store: BlobStore;
  catalog: CatalogStore;
  sourceId: string;
  log: Logger;
  segmentMaxBytes: number;
  segmentMaxAgeMs: number;
  codec: Codec;
  compaction: CompactionPolicy;
  retention: RetentionPolicy;
  /** How long one poll of the log waits. Default 200 ms. */
  pollWaitMs?: number;
  /** Embedded mode: the log has ended (the collector drained and closed it); the archiver finishes then. */
  logEnded?: () => boolean;
}

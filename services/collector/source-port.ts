/**
 * The narrow source ports the collector reads MongoDB through, so that its
 * logic can be driven by recorded, documented change events in tests and by
 * the real driver in production (mongo-change-source.ts, mongo-copy-source.ts).
 */
import type { Buffer } from 'node:buffer';
import type { Timestamp } from 'bson';

/** Where a change stream starts. */
export type StreamStart =
  /** Resume right after this token, as BSON bytes (`startAfter`, which also accepts an invalidate's token). */
  | { kind: 'after'; token: Buffer }
  /** Every event at or after this cluster time (`startAtOperationTime`). */
  | { kind: 'at'; clusterTime: Timestamp };

export interface RawBatch {
  /**
   * The change events of one server batch in stream order, each as the BSON bytes the server sent
   * (split-event fragments included): never decoded on the way (cursor-reply.ts).
   */
  events: Buffer[];
  /**
   * The batch's post-batch resume token (BSON bytes): the stream has seen everything up to it, even when
   * nothing changed. null when the server sent none (then the last event's _id is the point).
   */
  postBatchResumeToken: Buffer | null;
}

export interface ChangeCursor {
  /** The next batch; waits at most about maxWaitMs and may return no events. */
  next(maxWaitMs: number): Promise<RawBatch>;
  close(): Promise<void>;
}

export interface ChangeSource {
  /** A short description for logs and status (host, version), without credentials. */
  describe(): string;
  open(start: StreamStart): Promise<ChangeCursor>;
  /** The source's current cluster time: where a fresh stream starts. */
  currentClusterTime(): Promise<Timestamp>;
  close(): Promise<void>;
}

export interface CopyCollection {
  /** `db.coll` */
  ns: string;
  /** Canonical extended JSON of listCollections `options`. */
  options: Record<string, unknown>;
  /** Canonical extended JSON of listIndexes. */
  indexes: Record<string, unknown>[];
  uuid?: string;
}

/** Read access for the initial copy. */
export interface CopySource {
  /** The collections of the databases `wantDb` accepts (the caller filters collections by scope). */
  listCollections(wantDb?: (db: string) => boolean): Promise<CopyCollection[]>;
  /** Documents as raw BSON bytes in _id order, in batches. */
  readDocuments(ns: string, options: { batchSize: number; signal?: AbortSignal }): AsyncIterable<Buffer[]>;
}

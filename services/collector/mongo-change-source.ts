/**
 * The change source over the real driver: one `watch()` on the whole
 * deployment, with expanded (DDL) events, post- and pre-images where the
 * collection has them enabled, and large events split into fragments on 7.0+.
 * The client must be created with promoteValues/promoteLongs/promoteBuffers
 * false and bsonRegExp true (mongoClientOptions), so that every BSON type
 * reaches the normalizer as itself. The driver resumes once by itself after a
 * resumable error (change streams specification); anything else reaches the
 * collector, which reconnects with backoff.
 */
import { MongoClient } from 'mongodb';
import type { ChangeStream, ChangeStreamOptions, Document, MongoClientOptions, Timestamp } from 'mongodb';
import { redactMongoUri } from '../../contracts/mongo-uri.js';
import { CollectorError } from './collector-errors.js';
import { connected, withUriPrecedence } from './mongo-connection.js';
import type { ChangeCursor, ChangeSource, RawBatch, StreamStart } from './source-port.js';

/** Driver settings that keep raw BSON types (and no implicit promotion) for lossless capture. */
export const mongoClientOptions: MongoClientOptions = {
  promoteValues: false,
  promoteLongs: false,
  promoteBuffers: false,
  bsonRegExp: true,
  serverSelectionTimeoutMS: 10_000,
  appName: 'rewind',
};

export interface MongoChangeSourceOptions {
  /** Events read per batch at most. Default 1000. */
  batchSize?: number;
}

/** The user-visible form of a URI: never its password (contracts/mongo-uri.ts, also for raw `@` and `/` in it). */
export function redactUri(uri: string): string {
  return redactMongoUri(uri);
}

export class MongoChangeSource implements ChangeSource {
  private serverVersion: number[] | null = null;

  constructor(
    readonly client: MongoClient,
    private readonly uri: string,
    private readonly options: MongoChangeSourceOptions = {},
  ) {}

  static create(uri: string, options: MongoChangeSourceOptions = {}): MongoChangeSource {
    return new MongoChangeSource(new MongoClient(uri, withUriPrecedence(uri, mongoClientOptions)), uri, options);
  }

  describe(): string {
    return `${redactUri(this.uri)}${this.serverVersion ? ` (MongoDB ${this.serverVersion.join('.')})` : ''}`;
  }

  private async version(): Promise<number[]> {
    if (this.serverVersion) return this.serverVersion;
    const info = await (await connected(this.client)).db('admin').command({ buildInfo: 1 });
    const raw: unknown = info.versionArray;
    const version = Array.isArray(raw) ? raw.map((v: unknown) => Number(typeof v === 'object' && v !== null ? (v as { valueOf(): unknown }).valueOf() : v)) : [0];
    if ((version[0] ?? 0) < 6) throw new CollectorError('SOURCE_TOO_OLD', { version: version.join('.') });
    this.serverVersion = version;
    return version;
  }

  async currentClusterTime(): Promise<Timestamp> {
    const reply = await (await connected(this.client)).db('admin').command({ ping: 1 });
    const ts = (reply.operationTime ?? (reply.$clusterTime as Document | undefined)?.clusterTime) as Timestamp | undefined;
    if (!ts) {
      // isMaster, not hello: older servers and wire stand-ins know only it. No cluster time: a standalone never gets one by waiting; a replica set not yet initiated may.
      const hello = await this.client.db('admin').command({ isMaster: 1 });
      if (hello.setName === undefined && hello.msg !== 'isdbgrid' && hello.isreplicaset !== true) {
        throw new CollectorError('SOURCE_NOT_REPLICA_SET', { detail: 'isMaster reports no replica set name' });
      }
      throw new CollectorError('SOURCE_UNREACHABLE', { detail: 'the server reports no cluster time yet (a replica set still starting?)' });
    }
    return ts;
  }

  async open(start: StreamStart): Promise<ChangeCursor> {
    await connected(this.client);
    const version = await this.version();
    const pipeline: Document[] = [{ $match: { 'ns.db': { $nin: ['admin', 'local', 'config'] } } }];
    // 7.0+: an event over 16 MiB (large pre/post images) comes in fragments instead of failing the stream.
    if ((version[0] ?? 0) >= 7) pipeline.push({ $changeStreamSplitLargeEvent: {} });
    const options: ChangeStreamOptions = {
      showExpandedEvents: true,
      fullDocument: 'whenAvailable',
      fullDocumentBeforeChange: 'whenAvailable',
      batchSize: this.options.batchSize ?? 1000,
      ...(start.kind === 'after' ? { startAfter: start.token } : { startAtOperationTime: start.clusterTime }),
    };
    return new MongoChangeCursor(this.client, pipeline, options, this.options.batchSize ?? 1000);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

class MongoChangeCursor implements ChangeCursor {
  private stream: ChangeStream | null = null;

  constructor(
    private readonly client: MongoClient,
    private readonly pipeline: Document[],
    private readonly options: ChangeStreamOptions,
    private readonly maxEvents: number,
  ) {}

  async next(maxWaitMs: number): Promise<RawBatch> {
    this.stream ??= this.client.watch(this.pipeline, { ...this.options, maxAwaitTimeMS: maxWaitMs });
    const stream = this.stream;
    const events: Document[] = [];
    const first = await stream.tryNext();
    if (first) {
      events.push(first);
      while (stream.bufferedCount() > 0 && events.length < this.maxEvents) {
        const more = await stream.tryNext();
        if (!more) break;
        events.push(more);
      }
    }
    // With the buffer empty, the driver's resume token is the batch's post-batch resume token.
    const pbrt = stream.bufferedCount() === 0 ? (stream.resumeToken as Document | null) : null;
    return { events, postBatchResumeToken: pbrt ?? null };
  }

  async close(): Promise<void> {
    await this.stream?.close();
  }
}

/**
 * The change source over the real driver: one change stream over the whole
 * deployment, with expanded (DDL) events, post- and pre-images where the
 * collection has them enabled, and large events split into fragments on 7.0+.
 * Events are read as the server's bytes (raw-change-stream.ts says how and
 * why); errors reach the collector, which resumes from its last acknowledged
 * point with backoff, or records a gap when the history is lost.
 */
import { MongoClient } from 'mongodb';
import type { ClientSession, Document, MongoClientOptions, Timestamp } from 'mongodb';
import { EXACT_BSON } from '../../contracts/document-key.js';
import { deserialize } from '../../contracts/bson.js';
import { redactMongoUri } from '../../contracts/mongo-uri.js';
import { CollectorError } from './collector-errors.js';
import { connected, withUriPrecedence } from './mongo-connection.js';
import { RawChangeStream } from './raw-change-stream.js';
import type { ChangeCursor, ChangeSource, StreamStart } from './source-port.js';

/** Driver settings that keep BSON types as themselves (no implicit promotion) wherever the driver does decode (replies' top level, metadata). */
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
  private sessions: boolean | null = null;

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

  /** Whether the server has logical sessions (the wire stand-in has none, and refuses an explicit one). */
  private async hasSessions(): Promise<boolean> {
    if (this.sessions !== null) return this.sessions;
    const reply = await this.client.db('admin').command({ isMaster: 1 });
    this.sessions = reply.logicalSessionTimeoutMinutes !== undefined && reply.logicalSessionTimeoutMinutes !== null;
    return this.sessions;
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
    const batchSize = this.options.batchSize ?? 1000;
    const stage: Document = {
      allChangesForCluster: true,
      showExpandedEvents: true,
      fullDocument: 'whenAvailable',
      fullDocumentBeforeChange: 'whenAvailable',
      // A token is {_data: <hex string>}: decoding it changes nothing.
      ...(start.kind === 'after' ? { startAfter: deserialize(start.token, EXACT_BSON) } : { startAtOperationTime: start.clusterTime }),
    };
    const pipeline: Document[] = [{ $changeStream: stage }, { $match: { 'ns.db': { $nin: ['admin', 'local', 'config'] } } }];
    // 7.0+: an event over 16 MiB (large pre/post images) comes in fragments instead of failing the stream.
    if ((version[0] ?? 0) >= 7) pipeline.push({ $changeStreamSplitLargeEvent: {} });
    let session: ClientSession | undefined;
    if (await this.hasSessions()) session = this.client.startSession({ causalConsistency: false });
    try {
      return await RawChangeStream.open({ client: this.client, db: 'admin', aggregate: 1, pipeline, batchSize, ...(session ? { session } : {}) });
    } catch (err) {
      await session?.endSession();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

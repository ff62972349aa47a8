/**
 * A change stream run as the server's own commands — `aggregate` with a
 * `$changeStream` stage, then `getMore` — through the driver's `db.command`
 * with `raw: true`, instead of the driver's `watch()`.
 *
 * Why not `watch()`: its cursor decodes every event into JavaScript objects
 * (with the driver's bson, whose classes our code then tested against a second
 * copy), and objects move digit-only field names to the front, so the
 * documents kept were no longer the server's. `watch()` cannot return raw
 * events: it reads each event's `_id` to track the resume token. With
 * `raw: true` the driver decodes only the reply's top level and hands the
 * `cursor` sub-document over as the server's bytes; cursor-reply.ts finds the
 * events in them, and each event stays those bytes.
 *
 * What `watch()` did that is done here or by the collector instead: the
 * post-batch resume token is read from every reply; resuming after an error
 * (the driver's one automatic retry) is the collector's reconnect, which
 * reopens from the last point the log acknowledged (duplicates re-read are
 * dropped by event id); ChangeStreamHistoryLost surfaces from `aggregate` as
 * the server's error. A getMore must run in the session that opened the
 * cursor, so the cursor keeps one explicit session where the server has them.
 */
import type { ClientSession, Document, MongoClient } from 'mongodb';
import { Long } from '../../contracts/bson.js';
import { CollectorError } from './collector-errors.js';
import { readCursorReply } from './cursor-reply.js';
import type { CursorReply } from './cursor-reply.js';
import type { ChangeCursor, RawBatch } from './source-port.js';

export interface RawChangeStreamOptions {
  client: MongoClient;
  /** 'admin' with `aggregate: 1` and `allChangesForCluster` for the whole deployment. */
  db: string;
  /** 1 for a database- or deployment-wide stream, else the collection's name. */
  aggregate: 1 | string;
  /** The whole pipeline, `$changeStream` stage first. */
  pipeline: Document[];
  batchSize: number;
  /** Where the server has sessions: the session every command of this cursor runs in. */
  session?: ClientSession;
}

/** Server error codes that say "no change streams here" (no retry can help). */
const NO_CHANGE_STREAM_CODES = new Set([
  59, // CommandNotFound (a server without aggregate)
  115, // CommandNotSupported
  40573, // the $changeStream stage is only supported on replica sets
  40324, // unrecognized pipeline stage name
]);

function asNoChangeStreams(err: unknown): unknown {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'number' && NO_CHANGE_STREAM_CODES.has(e.code)) {
    return new CollectorError('SOURCE_NO_CHANGE_STREAMS', { detail: `${String(e.message)} (code ${e.code})` }, { cause: err });
  }
  return err;
}

export class RawChangeStream implements ChangeCursor {
  private id: bigint = 0n;
  private pending: CursorReply | null = null;
  private closed = false;

  private constructor(private readonly o: RawChangeStreamOptions) {}

  /** Runs the aggregate: errors of opening (history lost, no replica set…) surface here. */
  static async open(o: RawChangeStreamOptions): Promise<RawChangeStream> {
    const stream = new RawChangeStream(o);
    const reply = await stream.run({ aggregate: o.aggregate, pipeline: o.pipeline, cursor: { batchSize: o.batchSize } });
    stream.id = reply.id;
    stream.pending = reply;
    return stream;
  }

  private async run(command: Document): Promise<CursorReply> {
    let reply: Document;
    try {
      reply = await this.o.client.db(this.o.db).command(command, { raw: true, ...(this.o.session ? { session: this.o.session } : {}) });
    } catch (err) {
      throw asNoChangeStreams(err);
    }
    return readCursorReply(reply.cursor);
  }

  async next(maxWaitMs: number): Promise<RawBatch> {
    if (this.closed) throw new CollectorError('COLLECTOR_STOPPED', {});
    let reply = this.pending;
    this.pending = null;
    if (reply === null) {
      if (this.id === 0n) {
        // The server ended the cursor (after an invalidate, which the collector acts on first): reopen.
        throw new CollectorError('SOURCE_UNREACHABLE', { detail: 'the server closed the change stream cursor' });
      }
      reply = await this.run({
        getMore: Long.fromBigInt(this.id),
        collection: this.o.aggregate === 1 ? '$cmd.aggregate' : this.o.aggregate,
        batchSize: this.o.batchSize,
        maxTimeMS: Math.max(1, Math.round(maxWaitMs)),
      });
      this.id = reply.id;
    }
    return { events: reply.events, postBatchResumeToken: reply.postBatchResumeToken };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.id !== 0n) {
        const collection = this.o.aggregate === 1 ? '$cmd.aggregate' : this.o.aggregate;
        await this.o.client
          .db(this.o.db)
          .command({ killCursors: collection, cursors: [Long.fromBigInt(this.id)] }, this.o.session ? { session: this.o.session } : {});
      }
    } finally {
      this.id = 0n;
      await this.o.session?.endSession();
    }
  }
}

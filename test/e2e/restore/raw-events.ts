/**
 * Hand-made raw change events in the corpus's shapes, for scenario tests that
 * need one precise history (a deleteMany to undo, a document's versions).
 */
import { Binary, Long, Timestamp } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import type { RawGroup } from './workload.js';

export class RawEvents {
  private tokens = 0;
  private increment = 0;

  constructor(
    private seconds: number,
    readonly db: string,
  ) {}

  /** Every call starts a new clusterTime. */
  clusterTime(): Timestamp {
    this.increment++;
    if (this.increment > 5) {
      this.seconds++;
      this.increment = 1;
    }
    return new Timestamp({ t: this.seconds, i: this.increment });
  }

  private header(op: string, ct: Timestamp, coll: string): Document {
    const token = (this.tokens++).toString(16).padStart(8, '0');
    return {
      _id: { _data: `82${ct.high.toString(16).padStart(8, '0')}${ct.low.toString(16).padStart(8, '0')}${token}04` },
      operationType: op,
      clusterTime: ct,
      wallTime: new Date(ct.high * 1000 + ct.low),
      ns: { db: this.db, coll },
    };
  }

  insert(coll: string, doc: Document, ct = this.clusterTime()): Document {
    return { ...this.header('insert', ct, coll), fullDocument: doc, documentKey: { _id: doc._id as unknown } };
  }

  set(coll: string, id: unknown, updatedFields: Document, ct = this.clusterTime(), removedFields: string[] = []): Document {
    return { ...this.header('update', ct, coll), documentKey: { _id: id }, updateDescription: { updatedFields, removedFields, truncatedArrays: [] } };
  }

  delete(coll: string, id: unknown, ct = this.clusterTime()): Document {
    return { ...this.header('delete', ct, coll), documentKey: { _id: id } };
  }

  drop(coll: string, ct = this.clusterTime()): Document {
    return this.header('drop', ct, coll);
  }

  rename(coll: string, to: string, ct = this.clusterTime()): Document {
    return { ...this.header('rename', ct, coll), to: { db: this.db, coll: to } };
  }

  /** A batched deleteMany: one clusterTime, no lsid. */
  deleteMany(coll: string, ids: unknown[]): RawGroup {
    const ct = this.clusterTime();
    return { kind: 'deleteMany', events: ids.map((id) => this.delete(coll, id, ct)) };
  }

  transaction(events: (ct: Timestamp) => Document[], txnNumber: number): RawGroup {
    const ct = this.clusterTime();
    const lsid = { id: new Binary(Buffer.alloc(16, 3), 4), uid: new Binary(Buffer.alloc(32, 5), 0) };
    return { kind: 'transaction', events: events(ct).map((e) => ({ ...e, lsid, txnNumber: Long.fromNumber(txnNumber) })) };
  }

  one(event: Document): RawGroup {
    return { kind: String(event.operationType), events: [event] };
  }
}

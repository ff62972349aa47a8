/**
 * A random workload for the differential restore suite: a model of the true
 * state of a source database, and the raw change events a MongoDB server
 * emits for each operation on it, in the corpus's shapes
 * (test/fixtures/change-events): inserts; $set (existing, new, nested),
 * $unset, $inc, $push (array-index append), $pull (whole array), array-index
 * $set, pipeline truncation (truncatedArrays); replaces that reorder fields;
 * deletes; batched deleteMany (one clusterTime, no lsid); multi-document
 * transactions (one clusterTime, lsid + txnNumber); drop, rename,
 * createIndexes and dropIndexes (expanded events).
 *
 * Field order follows mongod's update rules (the corpus's descriptions): a
 * $set of an existing field keeps its place, a new field is appended, a push
 * appends, a replace takes the new document's order. The model is the oracle:
 * the events are derived from it, never from the code under test.
 */
import { Binary, Double, Int32, Long, Timestamp } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import fc from 'fast-check';
import { position } from '../../../contracts/index.js';
import type { Position } from '../../../contracts/index.js';

export interface RawGroup {
  /** Raw change events sharing one clusterTime, in order (their index is their place here). */
  events: Document[];
  kind: string;
}

interface CollectionModel {
  docs: Map<string, Document>;
  /** Index specs besides _id_, in creation order. */
  indexes: Document[];
}

export interface TrueState {
  position: Position;
  /** Per namespace: the documents (deep copies) and the index names besides _id_. */
  namespaces: Map<string, { docs: Document[]; indexes: string[] }>;
}

const clone = (d: Document): Document => structuredCloneBson(d) as Document;

/** A deep copy that keeps bson's classes (structuredClone would drop their prototypes). */
function structuredCloneBson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(structuredCloneBson);
  if (v instanceof Int32) return new Int32(v.value);
  if (v instanceof Double) return new Double(v.value);
  if (v instanceof Long) return Long.fromBigInt(v.toBigInt());
  if (v instanceof Date) return new Date(v.getTime());
  if (v instanceof Binary) return new Binary(Buffer.from(v.buffer), v.sub_type);
  if (v && typeof v === 'object' && (v as { _bsontype?: unknown })._bsontype === undefined) {
    const out: Document = {};
    for (const [k, x] of Object.entries(v)) out[k] = structuredCloneBson(x);
    return out;
  }
  return v; // strings, numbers, null, and immutable bson values
}

const idText = (id: unknown) => (id instanceof Int32 ? `i${id.value}` : `s${String(id)}`);

export class Workload {
  readonly db: string;
  private readonly collections = new Map<string, CollectionModel>();
  private readonly rolls: number[];
  private roll = 0;
  private seconds: number;
  private increment = 0;
  private tokens = 0;
  private nextId = 1;
  private nextValue = 1;
  private txnNumber = 1;
  private renames = 0;
  readonly lsid = { id: new Binary(Buffer.alloc(16, 7), 4), uid: new Binary(Buffer.alloc(32, 9), 0) };

  constructor(options: { seed: number; db: string; collections: string[]; startSeconds: number }) {
    this.db = options.db;
    this.seconds = options.startSeconds;
    this.rolls = fc.sample(fc.array(fc.nat({ max: 1_000_000 }), { minLength: 200_000, maxLength: 200_000 }), { seed: options.seed, numRuns: 1 })[0] as number[];
    for (const c of options.collections) this.collections.set(c, { docs: new Map(), indexes: [] });
  }

  private r(n: number): number {
    const v = this.rolls[this.roll++ % this.rolls.length] as number;
    return v % n;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.r(items.length)] as T;
  }

  private value(): number {
    return this.nextValue++;
  }

  /** A fresh document; a few carry more BSON types (the stand-in's safe ones). */
  newDocument(): Document {
    const n = this.nextId++;
    const _id = n % 5 === 0 ? `doc-${String(n).padStart(5, '0')}` : new Int32(n);
    const doc: Document = {
      _id,
      a: new Int32(this.value()),
      s: `s${this.value()}`,
      arr: Array.from({ length: 1 + this.r(4) }, () => new Int32(this.value() % 7)),
      sub: { x: new Int32(this.value()), y: 'q' },
    };
    if (n % 3 === 0) doc.d = new Double(this.value() + 0.5);
    if (n % 4 === 0) doc.l = Long.fromNumber(this.value() * 1_000_003);
    if (n % 7 === 0) doc.when = new Date(1_700_000_000_000 + this.value());
    return doc;
  }

  /** Documents present before capture starts (the initial copy). */
  seed(perCollection: number): Map<string, Document[]> {
    const out = new Map<string, Document[]>();
    for (const [coll, model] of this.collections) {
      const docs: Document[] = [];
      for (let i = 0; i < perCollection; i++) {
        const d = this.newDocument();
        model.docs.set(idText(d._id), d);
        docs.push(clone(d));
      }
      out.set(`${this.db}.${coll}`, docs);
    }
    return out;
  }

  get position(): Position {
    return position(this.seconds, this.increment, 0);
  }

  private tick(): Timestamp {
    this.increment++;
    if (this.increment > 3) {
      this.seconds++;
      this.increment = 1;
    }
    return new Timestamp({ t: this.seconds, i: this.increment });
  }

  private header(op: string, clusterTime: Timestamp, coll: string | null): Document {
    const token = (this.tokens++).toString(16).padStart(8, '0');
    const ev: Document = {
      _id: { _data: `82${clusterTime.high.toString(16).padStart(8, '0')}${clusterTime.low.toString(16).padStart(8, '0')}${token}04` },
      operationType: op,
      clusterTime,
      wallTime: new Date(clusterTime.high * 1000 + this.increment),
    };
    if (coll !== null) ev.ns = { db: this.db, coll };
    return ev;
  }

  private liveCollections(): string[] {
    return [...this.collections.keys()].sort();
  }

  private docIn(coll: string): Document | undefined {
    const docs = [...(this.collections.get(coll)?.docs.values() ?? [])];
    return docs.length ? this.pick(docs) : undefined;
  }

  private model(coll: string): CollectionModel {
    let m = this.collections.get(coll);
    if (!m) {
      m = { docs: new Map(), indexes: [] };
      this.collections.set(coll, m);
    }
    return m;
  }

  /** One document operation's event (and its effect on the model); null when the document does not allow it. */
  private documentOp(ct: Timestamp, coll: string, extra: Document): Document | null {
    const model = this.model(coll);
    const choice = this.r(100);
    const doc = this.docIn(coll);
    const key = (d: Document) => ({ _id: d._id as unknown });
    const update = (d: Document, updatedFields: Document, removedFields: string[] = [], truncatedArrays: Document[] = []) => ({
      ...this.header('update', ct, coll),
      ns: { db: this.db, coll },
      documentKey: key(d),
      updateDescription: { updatedFields, removedFields, truncatedArrays },
      ...extra,
    });
    if (choice < 20 || !doc) {
      const d = this.newDocument();
      model.docs.set(idText(d._id), d);
      return { ...this.header('insert', ct, coll), fullDocument: clone(d), ns: { db: this.db, coll }, documentKey: key(d), ...extra };
    }
    const arr = Array.isArray(doc.arr) ? (doc.arr as Int32[]) : null;
    if (choice < 30) {
      const v = new Int32(this.value());
      doc.a = v; // existing or appended: JS keeps insertion order either way, as mongod does
      return update(doc, { a: new Int32(v.value) });
    }
    if (choice < 36) {
      const field = `f${this.value()}`;
      const v = `new${this.value()}`;
      doc[field] = v;
      return update(doc, { [field]: v });
    }
    if (choice < 42) {
      const field = ['s', 'sub', 'd', 'l', 'arr'].find((f) => f in doc);
      if (!field) return null;
      delete doc[field];
      return update(doc, {}, [field]);
    }
    if (choice < 50 && doc.a instanceof Int32) {
      const inc = 1 + this.r(5);
      const next = new Int32(doc.a.value + inc);
      doc.a = next;
      return update(doc, { a: new Int32(next.value) });
    }
    if (choice < 58 && arr && arr.length > 0) {
      const v = new Int32(this.value() % 7);
      arr.push(v);
      return update(doc, { [`arr.${arr.length - 1}`]: new Int32(v.value) });
    }
    if (choice < 64 && arr && arr.length > 0) {
      const gone = (this.pick(arr)).value;
      doc.arr = arr.filter((x) => x.value !== gone);
      return update(doc, { arr: (doc.arr as Int32[]).map((x) => new Int32(x.value)) });
    }
    if (choice < 70 && arr && arr.length > 0) {
      const i = this.r(arr.length);
      const v = new Int32(1000 + this.value());
      arr[i] = v;
      return update(doc, { [`arr.${i}`]: new Int32(v.value) });
    }
    if (choice < 74 && doc.sub && typeof doc.sub === 'object' && !Array.isArray(doc.sub)) {
      const v = new Int32(this.value());
      (doc.sub as Document).x = v;
      return update(doc, { 'sub.x': new Int32(v.value) });
    }
    if (choice < 78 && arr && arr.length >= 2) {
      const newSize = 1 + this.r(arr.length - 1);
      doc.arr = arr.slice(0, newSize);
      return update(doc, {}, [], [{ field: 'arr', newSize: new Int32(newSize) }]);
    }
    if (choice < 86) {
      // A replace with another field order (mongod stores the replacement as given, _id first).
      const next: Document = { _id: doc._id as unknown, z: `z${this.value()}`, a: new Int32(this.value()), arr: [new Int32(this.value() % 7), new Int32(1)] };
      model.docs.set(idText(doc._id), next);
      return { ...this.header('replace', ct, coll), fullDocument: clone(next), ns: { db: this.db, coll }, documentKey: key(next), ...extra };
    }
    model.docs.delete(idText(doc._id));
    return { ...this.header('delete', ct, coll), ns: { db: this.db, coll }, documentKey: key(doc), ...extra };
  }

  /** The next operation: its events (one clusterTime) and the model's new state. */
  next(): RawGroup {
    const ct = this.tick();
    const roll = this.r(1000);
    const live = this.liveCollections();
    const anyColl = live.length ? this.pick(live) : 'orders';
    if (roll < 40 && live.length > 0) {
      // A multi-document transaction: every event carries the commit's clusterTime, lsid and txnNumber.
      const txn = { lsid: { id: this.lsid.id, uid: this.lsid.uid }, txnNumber: Long.fromNumber(this.txnNumber++) };
      const events: Document[] = [];
      const n = 2 + this.r(3);
      for (let i = 0; i < n; i++) {
        const e = this.documentOp(ct, this.pick(live), txn);
        if (e) events.push(e);
      }
      if (events.length) return { kind: 'transaction', events };
    }
    if (roll < 60 && live.length > 0) {
      // deleteMany, batched: deletes share one clusterTime and carry no lsid.
      const model = this.model(anyColl);
      const victims = [...model.docs.values()].slice(0, 1 + this.r(4));
      if (victims.length) {
        for (const v of victims) model.docs.delete(idText(v._id));
        return { kind: 'deleteMany', events: victims.map((v) => ({ ...this.header('delete', ct, anyColl), documentKey: { _id: v._id as unknown } })) };
      }
    }
    if (roll < 66 && live.length > 1) {
      this.collections.delete(anyColl);
      return { kind: 'drop', events: [this.header('drop', ct, anyColl)] };
    }
    if (roll < 72 && live.length > 0) {
      const to = `${anyColl.split('_r')[0] ?? anyColl}_r${++this.renames}`;
      const model = this.model(anyColl);
      this.collections.delete(anyColl);
      this.collections.set(to, model);
      return { kind: 'rename', events: [{ ...this.header('rename', ct, anyColl), to: { db: this.db, coll: to } }] };
    }
    if (roll < 84 && live.length > 0) {
      const model = this.model(anyColl);
      const field = this.pick(['a', 's', 'sub.x', 'arr']);
      const name = `${field}_1`;
      if (!model.indexes.some((i) => i.name === name)) {
        const spec = { v: new Int32(2), key: { [field]: new Int32(1) }, name };
        model.indexes.push(spec);
        return { kind: 'createIndexes', events: [{ ...this.header('createIndexes', ct, anyColl), operationDescription: { indexes: [spec] } }] };
      }
    }
    if (roll < 90 && live.length > 0) {
      const model = this.model(anyColl);
      if (model.indexes.length) {
        const spec = this.pick(model.indexes);
        model.indexes = model.indexes.filter((i) => i !== spec);
        return { kind: 'dropIndexes', events: [{ ...this.header('dropIndexes', ct, anyColl), operationDescription: { indexes: [spec] } }] };
      }
    }
    // Mostly single-document operations; a dropped collection comes back through an insert.
    const coll = live.length && this.r(10) > 0 ? anyColl : this.pick(['orders', 'items', 'people']);
    for (;;) {
      const e = this.documentOp(ct, coll, {});
      if (e) return { kind: String(e.operationType), events: [e] };
    }
  }

  /** The true state now (deep copies). */
  snapshot(at: Position): TrueState {
    const namespaces = new Map<string, { docs: Document[]; indexes: string[] }>();
    for (const [coll, m] of this.collections) {
      namespaces.set(`${this.db}.${coll}`, { docs: [...m.docs.values()].map(clone), indexes: m.indexes.map((i) => String(i.name)).sort() });
    }
    return { position: at, namespaces };
  }
}

/**
 * A long recorded event sequence in the documented shapes (insert, update with
 * updateDescription, delete, and transactions whose operations share one
 * clusterTime with lsid/txnNumber), generated deterministically from a seed,
 * for tests and benchmarks that need more events than the corpus holds. Each
 * event has a unique resume token whose prefix encodes its clusterTime, as the
 * server's do.
 */
import { Buffer } from 'node:buffer';
import { Binary, Double, Int32, Long, ObjectId, Timestamp, UUID, serialize } from '../../../contracts/bson.js';
import type { Document } from 'bson';

export interface SyntheticStreamOptions {
  events: number;
  /** First clusterTime seconds. */
  startSeconds?: number;
  /** Events per clusterTime second (increments within a second). */
  perSecond?: number;
  seed?: number;
  /** Bytes of filler in each inserted document. */
  payloadBytes?: number;
  namespaces?: readonly { db: string; coll: string }[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

const hex = (n: number, w: number) => (n >>> 0).toString(16).toUpperCase().padStart(w, '0');

/** The events as BSON bytes, as a server sends them (its documents have no digit-only names: generated as objects, nothing is reordered). */
export function syntheticStream(o: SyntheticStreamOptions): Buffer[] {
  return syntheticEvents(o).map((e) => Buffer.from(serialize(e)));
}

/** The same events as objects, for tests that build expectations from them. */
export function syntheticEvents(o: SyntheticStreamOptions): Document[] {
  const random = rng(o.seed ?? 42);
  const perSecond = o.perSecond ?? 1000;
  const start = o.startSeconds ?? 1_767_000_000;
  const namespaces = o.namespaces ?? [{ db: 'shop', coll: 'orders' }, { db: 'shop', coll: 'customers' }];
  const payload = 'x'.repeat(o.payloadBytes ?? 64);
  const uuid = new UUID('3b241101-e2bb-4255-8caf-4136c566a962');
  const live: Map<string, number[]> = new Map(namespaces.map((n) => [`${n.db}.${n.coll}`, []]));
  let nextId = 1;
  let tick = 0;
  let txnNumber = 0;
  const out: Document[] = [];
  const lsid = { id: new Binary(Buffer.alloc(16, 7), 4), uid: new Binary(Buffer.alloc(32, 1), 0) };

  while (out.length < o.events) {
    const seconds = start + Math.floor(tick / perSecond);
    const increment = (tick % perSecond) + 1;
    tick += 1;
    const clusterTime = new Timestamp({ t: seconds, i: increment });
    const inTxn = random() < 0.1;
    const ops = inTxn ? 2 + Math.floor(random() * 3) : 1;
    if (inTxn) txnNumber += 1;
    for (let k = 0; k < ops && out.length < o.events; k++) {
      const ns = namespaces[Math.floor(random() * namespaces.length)] as { db: string; coll: string };
      const ids = live.get(`${ns.db}.${ns.coll}`) as number[];
      const roll = random();
      const seq = out.length;
      const base: Document = {
        _id: { _data: `82${hex(seconds, 8)}${hex(increment, 8)}2B04${hex(k, 4)}${hex(seq, 8)}04` },
        operationType: 'insert',
        clusterTime,
        wallTime: new Date(seconds * 1000 + (increment % 1000)),
      };
      let event: Document;
      if (ids.length === 0 || roll < 0.5) {
        const id = nextId++;
        ids.push(id);
        event = {
          ...base,
          operationType: 'insert',
          fullDocument: { _id: new Int32(id), name: `doc-${id}`, n: new Long(seq), price: new Double(random() * 100), payload },
          ns,
          documentKey: { _id: new Int32(id) },
        };
      } else if (roll < 0.9) {
        const id = ids[Math.floor(random() * ids.length)] as number;
        event = {
          ...base,
          operationType: 'update',
          ns,
          documentKey: { _id: new Int32(id) },
          updateDescription: { updatedFields: { n: new Long(seq), touched: new ObjectId() }, removedFields: [], truncatedArrays: [] },
        };
      } else {
        const at = Math.floor(random() * ids.length);
        const id = ids[at] as number;
        ids.splice(at, 1);
        event = { ...base, operationType: 'delete', ns, documentKey: { _id: new Int32(id) } };
      }
      event.collectionUUID = uuid;
      if (inTxn) Object.assign(event, { lsid, txnNumber: new Long(txnNumber) });
      out.push(event);
    }
  }
  return out;
}

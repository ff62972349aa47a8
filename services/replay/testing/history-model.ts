/**
 * Test support: random event histories from a model of a MongoDB source.
 * The model keeps the true state (documents as ordered Maps, index names per
 * collection) and emits the ChangeEvents the server would, including
 * transactions (several events at one clusterTime), post-images, misleading
 * updateLookup documents, drops, renames over existing targets, dropDatabase,
 * create and createIndexes. After every clusterTime group it records the true
 * state, so any replay can be checked against it.
 */
import { Binary, Int32, serialize } from '../../../contracts/bson.js';
import type { ChangeEvent } from '../../../contracts/avro/change-event.js';
import type { Position } from '../../../contracts/position.js';
import { position } from '../../../contracts/position.js';
import { Rng, diffDocuments, doc, docBytes, mutateDoc } from './random-docs.js';
import type { Doc, Value } from './random-docs.js';

interface ModelCollection {
  docs: Map<string, { id: Value; doc: Doc }>;
  indexes: Set<string>;
}
type Model = Map<string, ModelCollection>;

export interface Checkpoint {
  /** Last position of the group. */
  position: Position;
  dump: string;
}

export interface History {
  events: ChangeEvent[];
  checkpoints: Checkpoint[];
}

const NAMESPACES = ['app.a', 'app.b', 'app.c', 'logs.x'];

const keyBytes = (id: Value) => Buffer.from(serialize(new Map([['_id', id]])));

/** A canonical text of a state: namespaces by name, index names, documents by key bytes. */
export function dumpState(state: Iterable<{ ns: string; indexes: Iterable<string>; records: Iterable<{ key: Buffer; document: Buffer }> }>): string {
  const lines: string[] = [];
  for (const c of [...state].sort((a, b) => (a.ns < b.ns ? -1 : 1))) {
    const records = [...c.records].map((r) => `${r.key.toString('hex')}=${r.document.toString('hex')}`).sort();
    lines.push(`${c.ns} [${[...c.indexes].sort().join(',')}] ${records.join(' ')}`);
  }
  return lines.join('\n');
}

function dumpModel(model: Model): string {
  return dumpState(
    [...model].map(([ns, c]) => ({
      ns,
      indexes: c.indexes,
      records: [...c.docs.values()].map((d) => ({ key: keyBytes(d.id), document: docBytes(d.doc) })),
    })),
  );
}

export function generateHistory(seed: number, steps: number): History {
  const rng = new Rng(seed);
  const model: Model = new Map();
  const events: ChangeEvent[] = [];
  const checkpoints: Checkpoint[] = [];
  let seconds = 1_700_000_000;
  let increment = 0;
  let txnNumber = 0;
  let idCounter = 0;
  const lsid = Buffer.from(serialize({ id: new Binary(Buffer.alloc(16, 7), 4) }));

  const split = (ns: string) => {
    const [db, coll] = ns.split('.') as [string, string];
    return { db, coll };
  };
  const base = (op: ChangeEvent['op'], ns: string, index: number): ChangeEvent => {
    const id = `ev${String(idCounter++).padStart(6, '0')}`;
    return {
      id,
      seconds,
      increment,
      index,
      wallTimeMs: seconds * 1000,
      op,
      ns: split(ns),
      to: null,
      collectionUUID: null,
      documentKey: null,
      fullDocument: null,
      fullDocumentIsLookup: false,
      fullDocumentBeforeChange: null,
      updateDescription: null,
      operationDescription: null,
      txn: null,
      resumeToken: Buffer.from(serialize({ _data: id })),
    };
  };
  const collection = (ns: string): ModelCollection => {
    let c = model.get(ns);
    if (c === undefined) {
      c = { docs: new Map(), indexes: new Set(['_id_']) };
      model.set(ns, c);
    }
    return c;
  };
  const randomId = (): Value => (rng.chance(0.7) ? new Int32(rng.int(12)) : `k${rng.int(6)}`);
  const newDoc = (id: Value): Doc => {
    const d: Doc = new Map([['_id', id]]);
    for (const [k, v] of doc(rng, 2, 4)) if (k !== '_id') d.set(k, v);
    return d;
  };

  /** One document event; returns undefined when the chosen operation does not apply. */
  const documentEvent = (index: number): ChangeEvent | undefined => {
    const ns = rng.pick(NAMESPACES);
    const c = collection(ns);
    const id = randomId();
    const k = keyBytes(id).toString('hex');
    const existing = c.docs.get(k);
    const r = rng.next();
    if (existing === undefined) {
      const d = newDoc(id);
      c.docs.set(k, { id, doc: d });
      return { ...base('insert', ns, index), documentKey: keyBytes(id), fullDocument: docBytes(d) };
    }
    if (r < 0.55) {
      const after = mutateDoc(rng, existing.doc, 2, '_id');
      const ev = { ...base('update', ns, index), documentKey: keyBytes(id), updateDescription: diffDocuments(rng, existing.doc, after) };
      existing.doc = after;
      const v = rng.next();
      // A post-image is exact; an updateLookup document is whatever the lookup found later: never truth.
      if (v < 0.2) return { ...ev, fullDocument: docBytes(after) };
      if (v < 0.4) return { ...ev, fullDocument: docBytes(newDoc(id)), fullDocumentIsLookup: true };
      return ev;
    }
    if (r < 0.75) {
      const d = newDoc(id);
      existing.doc = d;
      return { ...base('replace', ns, index), documentKey: keyBytes(id), fullDocument: docBytes(d) };
    }
    c.docs.delete(k);
    return { ...base('delete', ns, index), documentKey: keyBytes(id) };
  };

  for (let step = 0; step < steps; step++) {
    if (rng.chance(0.3)) {
      seconds += 1;
      increment = 1;
    } else {
      increment += 1;
    }
    const r = rng.next();
    if (r < 0.62) {
      const ev = documentEvent(0);
      if (ev) events.push(ev);
    } else if (r < 0.8) {
      // A transaction: every operation stamped with the commit's clusterTime, in order.
      const n = 2 + rng.int(4);
      txnNumber++;
      for (let i = 0; i < n; i++) {
        const ev = documentEvent(i);
        if (ev) events.push({ ...ev, txn: { lsid, txnNumber } });
      }
    } else if (r < 0.85) {
      const ns = rng.pick(NAMESPACES);
      if (model.has(ns)) {
        model.delete(ns);
        events.push(base('drop', ns, 0));
      }
    } else if (r < 0.91) {
      const from = rng.pick(NAMESPACES);
      const to = rng.pick(NAMESPACES.filter((n) => n !== from && n.startsWith('app.')));
      const moving = model.get(from);
      if (moving && from.startsWith('app.')) {
        const dropTarget = model.has(to);
        model.delete(from);
        model.set(to, moving);
        events.push({
          ...base('rename', from, 0),
          to: split(to),
          operationDescription: Buffer.from(serialize({ to: split(to), ...(dropTarget ? { dropTarget: new Binary(Buffer.alloc(16, 1), 4) } : {}) })),
        });
      }
    } else if (r < 0.93) {
      const db = rng.pick(['app', 'logs']);
      for (const ns of [...model.keys()]) if (ns.startsWith(`${db}.`)) model.delete(ns);
      events.push({ ...base('dropDatabase', `${db}.x`, 0), ns: { db, coll: null } });
    } else if (r < 0.96) {
      const ns = rng.pick(NAMESPACES);
      if (!model.has(ns)) {
        collection(ns);
        events.push({
          ...base('create', ns, 0),
          operationDescription: Buffer.from(serialize({ idIndex: { v: new Int32(2), key: { _id: new Int32(1) }, name: '_id_' } })),
        });
      }
    } else {
      const ns = rng.pick(NAMESPACES);
      const name = `${rng.pick(['a', 'b', 'c'])}_1`;
      collection(ns).indexes.add(name);
      events.push({
        ...base('createIndexes', ns, 0),
        operationDescription: Buffer.from(serialize({ indexes: [{ v: new Int32(2), key: { [name.slice(0, 1)]: new Int32(1) }, name }] })),
      });
    }
    const last = events[events.length - 1];
    if (last && last.seconds === seconds && last.increment === increment) {
      checkpoints.push({ position: position(seconds, increment, last.index), dump: dumpModel(model) });
    }
  }
  return { events, checkpoints };
}


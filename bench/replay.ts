/**
 * Benchmark `replay`: change events applied per second by the in-memory
 * replay engine, beside decoding the same events without applying them.
 *
 * Workload: 1 million events (100k inserts building ~100k documents, then
 * updates with updateDescription — $set of top-level, nested and array-index
 * paths, $unset, array growth and truncation — plus inserts and deletes), held
 * as Avro records packed back to back as a segment's blocks carry them. Measured: decode
 * (`changeEventType.fromBuffer`) + apply each event. Baseline: decode only.
 * Target ratio ≥ 0.5: applying costs no more than decoding. The full run
 * alternates the two three times and takes each one's best round.
 */
import { Int32, Long, serialize } from '../contracts/bson.js';
import { changeEventType } from '../contracts/index.js';
import type { ChangeEvent } from '../contracts/index.js';
import { ReplayState } from '../services/replay/index.js';
import type { BenchContext, BenchResult } from './convention.js';
import { timed } from './convention.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const bson = (d: object) => Buffer.from(serialize(d));

function makeDoc(id: number, r: () => number): Buffer {
  return bson({
    _id: new Int32(id),
    sku: `sku-${Math.floor(r() * 1e6)}`,
    qty: new Int32(Math.floor(r() * 100)),
    price: r() * 100,
    total: Long.fromNumber(Math.floor(r() * 1e9)),
    customer: { name: `customer ${id}`, tier: new Int32(Math.floor(r() * 4)), since: new Date(1_714_564_800_000 + id) },
    tags: ['a', 'b', 'c'],
    status: 'new',
  });
}

function updateDescription(r: () => number): ChangeEvent['updateDescription'] {
  const k = Math.floor(r() * 6);
  const fields: Record<string, unknown> =
    k === 0 ? { qty: new Int32(Math.floor(r() * 100)) }
    : k === 1 ? { 'customer.tier': new Int32(Math.floor(r() * 4)), status: 'paid' }
    : k === 2 ? { 'tags.1': `t${Math.floor(r() * 50)}` }
    : k === 3 ? { price: r() * 100, updatedAt: new Date() }
    : k === 4 ? { 'tags.3': 'd' }
    : {};
  return {
    updatedFields: bson(fields),
    removedFields: k === 5 ? ['status'] : [],
    truncatedArrays: k === 5 ? [{ field: 'tags', newSize: 2 }] : [],
    disambiguatedPaths: null,
  };
}

/** The events as Avro records, and how many of them there are. */
export function makeEvents(count: number, documents: number): Buffer[] {
  const r = rng(7);
  const out: Buffer[] = [];
  const alive: number[] = [];
  let next = 0;
  const base = (seq: number, op: ChangeEvent['op'], id: number): ChangeEvent => ({
    id: `82${seq.toString(16).padStart(16, '0')}`,
    seconds: 1_714_564_800 + Math.floor(seq / 1000),
    increment: (seq % 1000) + 1,
    index: 0,
    wallTimeMs: 1_714_564_800_000 + seq,
    op,
    ns: { db: 'shop', coll: 'orders' },
    to: null,
    collectionUUID: null,
    documentKey: bson({ _id: new Int32(id) }),
    fullDocument: null,
    fullDocumentIsLookup: false,
    fullDocumentBeforeChange: null,
    updateDescription: null,
    operationDescription: null,
    txn: null,
    resumeToken: bson({ _data: `82${seq.toString(16).padStart(16, '0')}` }),
  });
  for (let seq = 0; seq < count; seq++) {
    const x = r();
    let ev: ChangeEvent;
    if (alive.length < documents || x < 0.05) {
      const id = next++;
      alive.push(id);
      ev = { ...base(seq, 'insert', id), fullDocument: makeDoc(id, r) };
    } else if (x < 0.1) {
      const at = Math.floor(r() * alive.length);
      const id = alive[at] as number;
      alive[at] = alive[alive.length - 1] as number;
      alive.pop();
      ev = base(seq, 'delete', id);
    } else {
      const id = alive[Math.floor(r() * alive.length)] as number;
      ev = { ...base(seq, 'update', id), updateDescription: updateDescription(r) };
    }
    out.push(changeEventType.toBuffer(ev));
  }
  return out;
}

/** The records packed back to back, length-prefixed, as a segment's decompressed blocks hold them. */
function pack(records: Buffer[]): Buffer {
  const out = Buffer.allocUnsafeSlow(records.reduce((n, r) => n + 4 + r.length, 0));
  let at = 0;
  for (const r of records) {
    out.writeUInt32LE(r.length, at);
    at += 4 + r.copy(out, at + 4);
  }
  return out;
}

function* unpack(block: Buffer): Iterable<Buffer> {
  for (let at = 0; at < block.length; ) {
    const n = block.readUInt32LE(at);
    yield block.subarray(at + 4, at + 4 + n);
    at += 4 + n;
  }
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const count = 1_000_000;
  const documents = 100_000;
  const block = pack(makeEvents(count, documents));
  ctx.log(`${count} events over ~${documents} documents, ${Math.round(block.length / count - 4)} bytes each (Avro)`);

  // Rounds alternate decode and decode+apply on the same records, so drifting machine load hits both
  // alike; best round of each, as the other benchmarks do.
  const rounds = ctx.quick ? 1 : 3;
  const decodeRounds: number[] = [];
  const applyRounds: number[] = [];
  let checksum = 0;
  let docs = 0;
  function* decoded(): Iterable<ChangeEvent> {
    for (const rec of unpack(block)) yield changeEventType.fromBuffer(rec) as ChangeEvent;
  }
  for (let round = 0; round < rounds; round++) {
    decodeRounds.push(
      await timed(() => {
        for (const rec of unpack(block)) checksum += (changeEventType.fromBuffer(rec) as ChangeEvent).index;
      }),
    );
    const state = new ReplayState();
    applyRounds.push(
      await timed(async () => {
        await state.applyAll(decoded());
      }),
    );
    docs = state.records('shop.orders').length;
    ctx.log(`round ${round + 1}: decode ${(decodeRounds.at(-1) as number).toFixed(2)} s, decode+apply ${(applyRounds.at(-1) as number).toFixed(2)} s, ${docs} documents at the end (${checksum})`);
  }
  const decodeSeconds = Math.min(...decodeRounds);
  const applySeconds = Math.min(...applyRounds);
  return {
    figures: [
      {
        metric: 'events applied',
        unit: 'events/s',
        value: count / applySeconds,
        baseline: { what: 'decode only (changeEventType.fromBuffer)', value: count / decodeSeconds },
        target: '>= 0.5',
      },
    ],
    params: { events: count, documents, finalDocuments: docs, rounds: `decode and decode+apply alternately ${rounds} times; best round of each`, decodeSeconds: decodeRounds, decodeApplySeconds: applyRounds },
  };
}

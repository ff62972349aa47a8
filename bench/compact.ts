/**
 * Benchmark `compact`: documents compacted per second and peak resident
 * memory, beside writing the same documents as a snapshot with no merge.
 *
 * Workload: a base snapshot of N documents (1 million with --quick, 10 million
 * in the full run; ~170-byte documents, Int32 _id) and N/10 events after it
 * (70% updates with updateDescription, 15% inserts, 15% deletes), streamed in
 * position order. Measured: compact() with the default 256 MB budget and the
 * filesystem run store, its output written with services/archive's snapshot
 * writer. Baseline: the same writer writing the base's N sorted records, no
 * merge. Targets: ratio ≥ 0.5; peak RSS within the budget + 200 MB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Int32, serialize } from '../contracts/bson.js';
import type { ChangeEvent, SnapshotRecord } from '../contracts/index.js';
import { position } from '../contracts/index.js';
import { FsBlobStore, writeSnapshotNamespace } from '../services/archive/index.js';
import { DEFAULT_COMPACTION_MEMORY_BYTES, FsRunStore, compact } from '../services/replay/index.js';
import type { BenchContext, BenchResult } from './convention.js';
import { peakRss, timed } from './convention.js';

const MB = 1024 * 1024;
const NS = 'shop.orders';
const METADATA = { ns: NS, indexes: [{ v: { $numberInt: '2' }, key: { _id: { $numberInt: '1' } }, name: '_id_' }], options: {} };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Records are stamped from templates (the _id patched in), so generating them costs the same on both sides.
const KEY = Buffer.from(serialize({ _id: new Int32(0) }));
const DOC = Buffer.from(
  serialize({
    _id: new Int32(0),
    sku: 'sku-000000-abcdef',
    qty: new Int32(3),
    price: 19.99,
    customer: { name: 'customer name here', tier: new Int32(2) },
    tags: ['alpha', 'bravo', 'charlie'],
    status: 'new',
    createdAt: new Date(1_714_564_800_000),
  }),
);
const ID_AT = 9; // int32 length, type byte, "_id\0"

function stamp(template: Buffer, id: number): Buffer {
  const b = Buffer.from(template);
  b.writeInt32LE(id, ID_AT);
  return b;
}

async function* baseRecords(n: number): AsyncIterable<SnapshotRecord> {
  for (let i = 0; i < n; i++) {
    yield { key: stamp(KEY, i), document: stamp(DOC, i) };
    if ((i & 1023) === 0) await Promise.resolve();
  }
}

function* events(n: number, count: number): Iterable<ChangeEvent> {
  const r = rng(11);
  const space = n + count;
  const alive = new Uint8Array(space);
  alive.fill(1, 0, n);
  const empty = Buffer.alloc(0);
  let inserted = 0;
  for (let seq = 0; seq < count; seq++) {
    const x = r();
    let op: ChangeEvent['op'] = 'update';
    if (x < 0.15) op = 'insert';
    else if (x < 0.3) op = 'delete';
    // Updates and deletes go to live documents, inserts to new keys: the history has no gaps.
    let id = op === 'insert' ? n + inserted++ : Math.floor(r() * n);
    if (op !== 'insert') while (alive[id] !== 1) id = (id + 1) % space;
    alive[id] = op === 'delete' ? 0 : 1;
    const updateDescription =
      op === 'update'
        ? { updatedFields: Buffer.from(serialize({ qty: new Int32(seq & 0xff), status: 'paid' })), removedFields: [], truncatedArrays: [], disambiguatedPaths: null }
        : null;
    yield {
      id: `82${seq.toString(16).padStart(12, '0')}`,
      seconds: 1_714_600_000 + Math.floor(seq / 1000),
      increment: (seq % 1000) + 1,
      index: 0,
      wallTimeMs: null,
      op,
      ns: { db: 'shop', coll: 'orders' },
      to: null,
      collectionUUID: null,
      documentKey: stamp(KEY, id),
      fullDocument: op === 'insert' ? stamp(DOC, id) : null,
      fullDocumentIsLookup: false,
      fullDocumentBeforeChange: null,
      updateDescription,
      operationDescription: null,
      txn: null,
      resumeToken: empty,
    };
  }
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.quick ? 1_000_000 : 10_000_000;
  const count = Math.floor(n / 10);
  const memoryBytes = DEFAULT_COMPACTION_MEMORY_BYTES;
  const dir = await mkdtemp(join(tmpdir(), 'rewind-bench-compact-'));
  const store = new FsBlobStore(join(dir, 'archive'));
  const runStore = await FsRunStore.create({ parent: dir });
  try {
    ctx.log(`base of ${n} documents (${DOC.length} bytes each), ${count} events after it, budget ${memoryBytes / MB} MB`);
    let written = 0;
    let runs = 0;
    const compaction = await peakRss(() =>
      timed(async () => {
        const result = await compact({
          base: { position: position(1_714_500_000, 1, 0), namespaces: [{ ns: NS, metadata: METADATA, records: baseRecords(n) }] },
          events: events(n, count),
          upTo: position(1_800_000_000, 0, 0),
          runStore,
          memoryBytes,
        });
        for (const ns of result.namespaces) written += (await writeSnapshotNamespace(store, 'compacted', ns.metadata, ns.records)).count;
        runs = result.stats.runsWritten;
        await result.dispose();
      }),
    );
    ctx.log(`compaction: ${compaction.result.toFixed(1)} s, ${written} documents out, ${runs} runs, peak RSS ${Math.round(compaction.peakRssBytes / MB)} MB`);
    const plain = await peakRss(() => timed(async () => void (await writeSnapshotNamespace(store, 'plain', METADATA, baseRecords(n)))));
    ctx.log(`plain snapshot write: ${plain.result.toFixed(1)} s, peak RSS ${Math.round(plain.peakRssBytes / MB)} MB`);
    return {
      figures: [
        {
          metric: 'documents compacted',
          unit: 'docs/s',
          value: written / compaction.result,
          baseline: { what: 'snapshot writer, same documents, no merge', value: n / plain.result },
          target: '>= 0.5',
        },
        {
          metric: 'peak RSS while compacting',
          unit: 'MB',
          value: compaction.peakRssBytes / MB,
          baseline: { what: 'peak RSS of the plain snapshot write', value: plain.peakRssBytes / MB },
          lowerIsBetter: true,
          target: `<= ${(memoryBytes + 200 * MB) / MB} MB (budget + 200 MB)`,
        },
      ],
      params: { documents: n, events: count, memoryBytes, runs, documentsOut: written },
    };
  } finally {
    await runStore.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

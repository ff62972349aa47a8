/**
 * Benchmark `archive`: the segment format against raw avsc on the same events.
 *
 * - write: events encoded and written per second (SegmentWriter, deflate, to
 *   disk with fsync) vs `changeEventType.toBuffer` of the same records;
 * - read: events read, verified (sha256) and decoded per second (readSegment)
 *   vs `changeEventType.fromBuffer` of the same records;
 * - bytes per event on disk vs raw avsc bytes per event (lower is better);
 * - full run only: peak RSS of a separate process reading a ~2 GB segment set;
 * - storage at rest (support/archive-storage.ts): through S3 against raw
 *   PutObject/GetObject of the same bytes, encryption on against off,
 *   zstandard against deflate.
 *
 * Events are realistic: documents of ~0.5–1 KB with mixed BSON types.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, serialize } from '../contracts/bson.js';
import { changeEventType } from '../contracts/index.js';
import type { ChangeEvent, OperationType, SegmentEntry } from '../contracts/index.js';
import { CatalogStore, FsBlobStore, SegmentWriter, readSegment } from '../services/archive/index.js';
import type { BenchContext, BenchResult, Figure } from './convention.js';
import { timed } from './convention.js';
import { fsStorageFigures, s3Figures } from './support/archive-storage.js';

const MB = 1024 * 1024;

/** A deterministic pseudo-random generator, so runs compare like with like. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];

function makeDocument(n: number, r: () => number): Record<string, unknown> {
  const pick = () => WORDS[Math.floor(r() * WORDS.length)] as string;
  const items = Array.from({ length: 2 + Math.floor(r() * 5) }, (_, i) => ({
    sku: `${pick()}-${Math.floor(r() * 1e6)}`,
    qty: new Int32(1 + Math.floor(r() * 9)),
    price: Decimal128.fromString((r() * 500).toFixed(2)),
    line: i,
  }));
  return {
    _id: new ObjectId(),
    orderNo: Long.fromNumber(1e12 + n),
    customer: { name: `${pick()} ${pick()}`, email: `${pick()}.${n}@example.com`, tier: new Int32(Math.floor(r() * 4)) },
    status: pick(),
    total: new Double(r() * 2000),
    items,
    tags: [pick(), pick(), pick()],
    createdAt: new Date(1_714_564_800_000 + n * 1000),
    updatedAt: new Timestamp({ t: 1_714_564_800 + n, i: 1 }),
    paid: r() > 0.3,
    note: r() > 0.5 ? `${pick()} ${pick()} ${pick()} ${pick()} ${pick()} ${pick()}` : null,
    checksum: new Binary(randomBytes(16), 0),
    uuid: new Binary(randomBytes(16), 4),
  };
}

export function makeEvents(count: number): ChangeEvent[] {
  const r = rng(42);
  const ops: OperationType[] = ['insert', 'update', 'replace', 'delete'];
  const out: ChangeEvent[] = [];
  for (let n = 0; n < count; n++) {
    const op = ops[Math.floor(r() * ops.length)] as OperationType;
    const doc = makeDocument(n, r);
    const key = serialize({ _id: doc._id });
    out.push({
      id: `82${n.toString(16).padStart(24, '0')}`,
      seconds: 1_714_564_800 + Math.floor(n / 100),
      increment: (n % 100) + 1,
      index: 0,
      wallTimeMs: 1_714_564_800_000 + n * 10,
      op,
      ns: { db: 'shop', coll: WORDS[n % 4] as string },
      to: null,
      collectionUUID: randomBytes(16),
      documentKey: Buffer.from(key),
      fullDocument: op === 'delete' ? null : Buffer.from(serialize(doc)),
      fullDocumentIsLookup: op === 'update',
      fullDocumentBeforeChange: null,
      updateDescription:
        op === 'update'
          ? {
              updatedFields: Buffer.from(serialize({ status: doc.status, 'items.0.qty': new Int32(3) })),
              removedFields: r() > 0.5 ? ['note'] : [],
              truncatedArrays: [],
              disambiguatedPaths: null,
            }
          : null,
      operationDescription: null,
      txn: null,
      resumeToken: Buffer.from(serialize({ _data: `82${n.toString(16).padStart(40, '0')}` })),
    });
  }
  return out;
}

async function writeSegments(store: FsBlobStore, events: ChangeEvent[], perSegment: number): Promise<SegmentEntry[]> {
  const entries: SegmentEntry[] = [];
  for (let start = 0; start < events.length; start += perSegment) {
    const w = new SegmentWriter(store);
    const end = Math.min(events.length, start + perSegment);
    for (let i = start; i < end; i++) await w.append(events[i] as ChangeEvent);
    entries.push(await w.finish());
  }
  return entries;
}

/** Writes a segment set of about `bytes` on disk (incompressible payloads) and reads it in a child process. */
async function bigReadRss(ctx: BenchContext, bytes: number): Promise<{ fileBytes: number; peakRssBytes: number; events: number; seconds: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-bench-big-'));
  try {
    const store = new FsBlobStore(dir);
    const catalog = new CatalogStore(dir);
    await catalog.init('bench');
    const payload = 16 * 1024;
    const pool = randomBytes(64 * MB);
    const template = makeEvents(1)[0] as ChangeEvent;
    let n = 0;
    let written = 0;
    while (written < bytes) {
      const w = new SegmentWriter(store);
      while (w.bytesWritten < 256 * MB && written + w.bytesWritten < bytes) {
        n++;
        const off = Math.floor((n * 7919 * 16) % (pool.length - payload));
        await w.append({
          ...template,
          seconds: 1_800_000_000 + Math.floor(n / 1000),
          increment: (n % 1000) + 1,
          fullDocument: Buffer.from(serialize({ _id: n, blob: new Binary(pool.subarray(off, off + payload), 0) })),
        });
      }
      const entry = await w.finish();
      written += entry.file.bytes;
      await catalog.update((c) => {
        c.segments.push(entry);
      });
      ctx.log(`big set: ${(written / MB).toFixed(0)} MB written`);
    }
    const child = fileURLToPath(new URL('../services/archive/testing/read-segments-rss.ts', import.meta.url));
    const started = process.hrtime.bigint();
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, dir], { maxBuffer: MB });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const r = JSON.parse(stdout) as { events: number; fileBytes: number; peakRssBytes: number };
    return { fileBytes: r.fileBytes, peakRssBytes: r.peakRssBytes, events: r.events, seconds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const count = ctx.quick ? 40_000 : 200_000;
  const rounds = ctx.quick ? 3 : 5;
  const perSegment = 50_000;
  ctx.log(`generating ${count} events`);
  const events = makeEvents(count);

  // Baselines: raw avsc on the same records, in memory. Baseline and figure
  // rounds alternate, so drifting machine load hits both alike; best of each.
  let rawBytes = 0;
  const encoded: Buffer[] = new Array<Buffer>(events.length);
  const rawEncode = () => {
    rawBytes = 0;
    for (let i = 0; i < events.length; i++) {
      const b = changeEventType.toBuffer(events[i]);
      encoded[i] = b;
      rawBytes += b.length;
    }
  };
  const rawDecode = () => {
    let sink = 0;
    for (const b of encoded) sink += (changeEventType.fromBuffer(b) as ChangeEvent).index;
    if (sink < 0) throw new Error('unreachable');
  };
  const docBytes = events.reduce((n, e) => n + (e.fullDocument?.length ?? 0), 0) / events.filter((e) => e.fullDocument).length;

  const dir = await mkdtemp(join(tmpdir(), 'rewind-bench-'));
  let entries: SegmentEntry[] = [];
  try {
    const store = new FsBlobStore(dir);
    const write = async () => {
      for (const e of entries) await store.delete(e.file.path);
      entries = await writeSegments(store, events, perSegment);
    };
    const read = async () => {
      let n = 0;
      for (const entry of entries) for await (const _ of readSegment(store, entry)) n++;
      if (n !== events.length) throw new Error(`read ${n} events, wrote ${events.length}`);
    };
    let rawEncodeSeconds = Number.POSITIVE_INFINITY;
    let writeSeconds = Number.POSITIVE_INFINITY;
    let rawDecodeSeconds = Number.POSITIVE_INFINITY;
    let readSeconds = Number.POSITIVE_INFINITY;
    for (let r = 0; r < rounds; r++) {
      rawEncodeSeconds = Math.min(rawEncodeSeconds, await timed(rawEncode));
      writeSeconds = Math.min(writeSeconds, await timed(write));
      rawDecodeSeconds = Math.min(rawDecodeSeconds, await timed(rawDecode));
      readSeconds = Math.min(readSeconds, await timed(read));
      ctx.log(`round ${r + 1}/${rounds} done`);
    }
    ctx.log(`documents average ${docBytes.toFixed(0)} bytes of BSON; raw avsc ${(rawBytes / events.length).toFixed(0)} bytes per event`);
    const fileBytes = entries.reduce((n, e) => n + e.file.bytes, 0);

    const figures: Figure[] = [
      {
        metric: 'write: events encoded + written (deflate, fsync) per second',
        unit: 'events/s',
        value: Math.round(events.length / writeSeconds),
        baseline: { what: 'raw avsc changeEventType.toBuffer, in memory', value: Math.round(events.length / rawEncodeSeconds) },
        target: '>= 0.5',
      },
      {
        metric: 'read: events read + verified (sha256) + decoded per second',
        unit: 'events/s',
        value: Math.round(events.length / readSeconds),
        baseline: { what: 'raw avsc changeEventType.fromBuffer, in memory', value: Math.round(events.length / rawDecodeSeconds) },
        target: '>= 0.5',
      },
      {
        metric: 'bytes per event on disk',
        unit: 'bytes',
        value: Math.round((fileBytes / events.length) * 10) / 10,
        baseline: { what: 'raw avsc bytes per event', value: Math.round((rawBytes / events.length) * 10) / 10 },
        lowerIsBetter: true,
      },
    ];
    const params: Record<string, unknown> = {
      events: events.length,
      eventsPerSegment: perSegment,
      rounds,
      averageDocumentBytes: Math.round(docBytes),
      codec: 'deflate',
      segmentBytes: fileBytes,
    };

    const storage = await fsStorageFigures(ctx, events, perSegment, rounds);
    figures.push(...storage.figures);
    params.storage = storage.params;
    if (!ctx.args.includes('--no-s3')) {
      const s3 = await s3Figures(ctx, events, perSegment, rounds);
      figures.push(...s3.figures);
      params.s3 = s3.params;
    }

    if (!ctx.quick) {
      const big = await bigReadRss(ctx, 2 * 1024 * MB);
      figures.push({
        metric: `peak RSS reading a ${(big.fileBytes / MB / 1024).toFixed(2)} GB segment set (separate process)`,
        unit: 'MB',
        value: Math.round(big.peakRssBytes / MB),
        baseline: { what: 'size of the set (a whole-file read holds at least this)', value: Math.round(big.fileBytes / MB) },
        lowerIsBetter: true,
        target: '< 300 MB',
      });
      params.bigSet = { bytes: big.fileBytes, events: big.events, readSeconds: Math.round(big.seconds * 10) / 10 };
    }
    return { figures, params };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

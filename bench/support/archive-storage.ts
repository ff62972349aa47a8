/**
 * The storage-at-rest figures of `npm run bench -- archive`:
 *
 * - S3: events written (SegmentWriter → S3BlobStore: encode, deflate,
 *   multipart upload) and read (readSegment: verified download, inflate,
 *   decode) per second, against raw PutObject / GetObject of the very same
 *   file bytes on the same server, in the same run;
 * - encryption on against off, on the filesystem, writing and reading;
 * - zstandard against deflate: bytes per event, events written and read per second.
 *
 * The S3 server is REWIND_BENCH_S3_ENDPOINT (+ REWIND_BENCH_S3_ACCESS_KEY_ID,
 * REWIND_BENCH_S3_SECRET_ACCESS_KEY; path-style) or a local s3proxy from the
 * test-server install (filesystem backend on this machine's disk).
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeEvent, SegmentEntry } from '../../contracts/index.js';
import { FsBlobStore, S3BlobStore, SegmentWriter, makeKeyring, readSegment, withKeyring } from '../../services/archive/index.js';
import type { BlobStore, Codec } from '../../services/archive/index.js';
import { createS3Client } from '../../services/archive/s3-client.js';
import { loadInstallState } from '../../test/harness/install-manifest.js';
import { s3ProxyLaunch, startS3Proxy } from '../../test/harness/local-s3proxy.js';
import type { BenchContext, Figure } from '../convention.js';
import { timed } from '../convention.js';

async function writeSegments(store: BlobStore, events: ChangeEvent[], perSegment: number, codec: Codec): Promise<SegmentEntry[]> {
  const entries: SegmentEntry[] = [];
  for (let start = 0; start < events.length; start += perSegment) {
    const w = new SegmentWriter(store, { codec });
    const end = Math.min(events.length, start + perSegment);
    for (let i = start; i < end; i++) await w.append(events[i] as ChangeEvent);
    entries.push(await w.finish());
  }
  return entries;
}

async function readAll(store: BlobStore, entries: SegmentEntry[], expected: number): Promise<void> {
  let n = 0;
  for (const e of entries) for await (const _ of readSegment(store, e)) n++;
  if (n !== expected) throw new Error(`read ${n} events, wrote ${expected}`);
}

/** Best of `rounds` for each of two alternating measurements, so drifting load hits both alike. */
async function bestOfPairs(rounds: number, a: () => Promise<void>, b: () => Promise<void>, log: (l: string) => void, label: string): Promise<[number, number]> {
  let ta = Number.POSITIVE_INFINITY;
  let tb = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    ta = Math.min(ta, await timed(a));
    tb = Math.min(tb, await timed(b));
    log(`${label}: round ${r + 1}/${rounds}`);
  }
  return [ta, tb];
}

interface S3Target {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  description: string;
  stop: () => Promise<void>;
}

async function s3Target(): Promise<S3Target> {
  const endpoint = process.env.REWIND_BENCH_S3_ENDPOINT;
  if (endpoint) {
    const credentials = { accessKeyId: process.env.REWIND_BENCH_S3_ACCESS_KEY_ID ?? '', secretAccessKey: process.env.REWIND_BENCH_S3_SECRET_ACCESS_KEY ?? '' };
    return { endpoint, credentials, description: `REWIND_BENCH_S3_ENDPOINT ${endpoint}`, stop: () => Promise.resolve() };
  }
  const installed = (await loadInstallState()).server('s3proxy');
  if (!installed.ok) throw new Error(`no S3 server for the benchmark: set REWIND_BENCH_S3_ENDPOINT or install s3proxy (${installed.reason})`);
  const running = await startS3Proxy(s3ProxyLaunch(installed));
  return {
    endpoint: running.server.endpoint,
    credentials: { accessKeyId: running.server.accessKeyId, secretAccessKey: running.server.secretAccessKey },
    description: `s3proxy ${running.server.version} (filesystem-nio2 backend, local disk, loopback)`,
    stop: () => running.stop(),
  };
}

export async function s3Figures(ctx: BenchContext, events: ChangeEvent[], perSegment: number, rounds: number): Promise<{ figures: Figure[]; params: Record<string, unknown> }> {
  const target = await s3Target();
  try {
    const client = createS3Client({ endpoint: target.endpoint, addressing: 'path', credentials: target.credentials });
    const bucket = `rewind-bench-${randomBytes(4).toString('hex')}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const store = new S3BlobStore({ bucket, prefix: 'bench', client });
    let entries: SegmentEntry[] = [];
    // The raw baseline moves exactly the archive's file bytes: captured from one write first.
    entries = await writeSegments(store, events, perSegment, 'deflate');
    const files: Buffer[] = [];
    for (const e of entries) {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: store.key(e.file.path) }));
      files.push(Buffer.from((await r.Body?.transformToByteArray()) ?? []));
    }
    const rawPut = async () => {
      for (let i = 0; i < files.length; i++) await client.send(new PutObjectCommand({ Bucket: bucket, Key: `raw/${i}`, Body: files[i] }));
    };
    const rawGet = async () => {
      for (let i = 0; i < files.length; i++) {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `raw/${i}` }));
        for await (const _ of r.Body as AsyncIterable<Buffer>) {
          // Drained as the archive reader drains it.
        }
      }
    };
    const write = async () => {
      for (const e of entries) await store.delete(e.file.path);
      entries = await writeSegments(store, events, perSegment, 'deflate');
    };
    const read = () => readAll(store, entries, events.length);
    // The store alone on the same bytes: multipart, Content-MD5, sha256, retries wrapper, verified spooled reads.
    const storePut = async () => {
      for (let i = 0; i < files.length; i++) await store.put(`stored/${i}`, files[i] as Buffer);
    };
    const refs = await Promise.all(files.map((f, i) => store.put(`stored/${i}`, f)));
    const storeGet = async () => {
      for (const ref of refs) {
        for await (const _ of (await store.openVerified(ref)) as AsyncIterable<Buffer>) {
          // Drained.
        }
      }
    };
    const [putSeconds, writeSeconds] = await bestOfPairs(rounds, rawPut, write, ctx.log, 's3 write');
    const [getSeconds, readSeconds] = await bestOfPairs(rounds, rawGet, read, ctx.log, 's3 read');
    const [putSeconds2, storePutSeconds] = await bestOfPairs(rounds, rawPut, storePut, ctx.log, 's3 store put');
    const [getSeconds2, storeGetSeconds] = await bestOfPairs(rounds, rawGet, storeGet, ctx.log, 's3 store get');
    const bytes = files.reduce((n, f) => n + f.length, 0);
    const perSecond = (s: number) => Math.round(events.length / s);
    return {
      figures: [
        {
          metric: 'S3 write: events encoded + deflated + uploaded per second (SegmentWriter → S3BlobStore)',
          unit: 'events/s',
          value: perSecond(writeSeconds),
          baseline: { what: 'raw PutObject of the same file bytes, same server', value: perSecond(putSeconds) },
          target: '>= 0.7',
        },
        {
          metric: 'S3 read: events downloaded + verified (sha256) + inflated + decoded per second (readSegment)',
          unit: 'events/s',
          value: perSecond(readSeconds),
          baseline: { what: 'raw GetObject of the same file bytes, same server', value: perSecond(getSeconds) },
          target: '>= 0.7',
        },
        {
          metric: 'S3 store alone: S3BlobStore.put of the same file bytes (multipart, Content-MD5, sha256)',
          unit: 'MB/s',
          value: Math.round(bytes / 1e6 / storePutSeconds),
          baseline: { what: 'raw PutObject of the same file bytes, same server', value: Math.round(bytes / 1e6 / putSeconds2) },
          target: '>= 0.7',
        },
        {
          metric: 'S3 store alone: S3BlobStore.openVerified of the same files (download, sha256, spool, read back)',
          unit: 'MB/s',
          value: Math.round(bytes / 1e6 / storeGetSeconds),
          baseline: { what: 'raw GetObject of the same file bytes, same server', value: Math.round(bytes / 1e6 / getSeconds2) },
          target: '>= 0.7',
        },
      ],
      params: { s3Server: target.description, s3Files: files.length, s3Bytes: bytes, s3RawPutMBps: Math.round(bytes / 1e6 / putSeconds), s3RawGetMBps: Math.round(bytes / 1e6 / getSeconds) },
    };
  } finally {
    await target.stop();
  }
}

/** Encryption on vs off, and zstandard vs deflate, on the filesystem. */
export async function fsStorageFigures(ctx: BenchContext, events: ChangeEvent[], perSegment: number, rounds: number): Promise<{ figures: Figure[]; params: Record<string, unknown> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-bench-storage-'));
  try {
    const plain = new FsBlobStore(join(dir, 'plain'));
    const keyed = withKeyring(new FsBlobStore(join(dir, 'encrypted')), makeKeyring(new Map([['bench', randomBytes(32)]]), 'bench'));
    const zstd = new FsBlobStore(join(dir, 'zstd'));
    const sets = new Map<BlobStore, SegmentEntry[]>([
      [plain, []],
      [keyed, []],
      [zstd, []],
    ]);
    const writer = (store: BlobStore, codec: Codec) => async () => {
      for (const e of sets.get(store) ?? []) await store.delete(e.file.path);
      sets.set(store, await writeSegments(store, events, perSegment, codec));
    };
    const reader = (store: BlobStore) => () => readAll(store, sets.get(store) ?? [], events.length);
    const [plainWrite, encWrite] = await bestOfPairs(rounds, writer(plain, 'deflate'), writer(keyed, 'deflate'), ctx.log, 'encryption write');
    const [plainRead, encRead] = await bestOfPairs(rounds, reader(plain), reader(keyed), ctx.log, 'encryption read');
    const [deflateWrite, zstdWrite] = await bestOfPairs(rounds, writer(plain, 'deflate'), writer(zstd, 'zstandard'), ctx.log, 'zstd write');
    const [deflateRead, zstdRead] = await bestOfPairs(rounds, reader(plain), reader(zstd), ctx.log, 'zstd read');
    const size = (s: BlobStore) => (sets.get(s) ?? []).reduce((n, e) => n + e.file.bytes, 0);
    const perEvent = (s: BlobStore) => Math.round((size(s) / events.length) * 10) / 10;
    const perSecond = (s: number) => Math.round(events.length / s);
    // A check that the encrypted set really is encrypted (the benchmark would flatter a no-op).
    const first = (sets.get(keyed) ?? [])[0];
    if (first && !(await readFile(join(dir, 'encrypted', first.file.path))).subarray(0, 8).equals(Buffer.from('RWNDENC1'))) throw new Error('encrypted set is not encrypted');
    return {
      figures: [
        { metric: 'encryption on: events written per second (AES-256-GCM, deflate, fsync)', unit: 'events/s', value: perSecond(encWrite), baseline: { what: 'encryption off, same events', value: perSecond(plainWrite) }, target: '>= 0.85' },
        { metric: 'encryption on: events read + verified + decrypted + decoded per second', unit: 'events/s', value: perSecond(encRead), baseline: { what: 'encryption off, same events', value: perSecond(plainRead) }, target: '>= 0.85' },
        { metric: 'zstandard: bytes per event on disk', unit: 'bytes', value: perEvent(zstd), baseline: { what: 'deflate (level 1), same events', value: perEvent(plain) }, lowerIsBetter: true },
        { metric: 'zstandard: events written per second', unit: 'events/s', value: perSecond(zstdWrite), baseline: { what: 'deflate (level 1), same events', value: perSecond(deflateWrite) } },
        { metric: 'zstandard: events read per second', unit: 'events/s', value: perSecond(zstdRead), baseline: { what: 'deflate (level 1), same events', value: perSecond(deflateRead) } },
      ],
      params: { encryptedBytes: size(keyed), plainBytes: size(plain), zstdBytes: size(zstd), zstdLevel: 1 },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

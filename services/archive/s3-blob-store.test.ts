// The S3 archive against a real S3-compatible server (s3proxy from Maven
// Central, or REWIND_TEST_S3_ENDPOINT): blob store, multipart, verified reads,
// the catalog's generations and its single-writer rule, credentials and
// addressing. Restarts of the server are in s3-restart.test.ts.
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, expect, it } from 'vitest';
import { currentOwner } from '../../contracts/process-owner.js';
import { describeWith, s3TestClient, uniqueBucket } from '../../test/harness/index.js';
import type { S3Server } from '../../test/harness/index.js';
import {
  CatalogStore,
  S3BlobStore,
  S3CatalogMedium,
  S3_LOCK_OBJECT,
  makeKeyring,
  openArchiveAt,
  readSegment,
  verifyFile,
  withKeyring,
  writeSegment,
} from './index.js';
import { bsonBytes, makeEvent } from './testing/samples.js';

const MIB = 1024 * 1024;

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

describeWith('s3', 'S3 archive on a real S3-compatible server', (server: S3Server) => {
  let client: S3Client;
  let credentials: { accessKeyId: string; secretAccessKey: string };
  let bucket: string;
  const store = (prefix: string, extra: Partial<ConstructorParameters<typeof S3BlobStore>[0]> = {}) =>
    new S3BlobStore({ bucket, prefix, endpoint: server.endpoint, region: server.region, addressing: 'path', credentials, retryBaseMs: 50, ...extra });

  beforeAll(async () => {
    const t = s3TestClient(server);
    client = t.client;
    credentials = t.credentials;
    bucket = uniqueBucket('blob-store');
    await t.createBucket(bucket);
  });

  it('puts, reads, stats, lists and deletes objects under its prefix', async () => {
    const s = store('arch/one');
    const ref = await s.put('segments/a.avro', Buffer.from('hello'));
    expect(ref).toEqual({ path: 'segments/a.avro', bytes: 5, sha256: createHash('sha256').update('hello').digest('hex') });
    await s.put('segments/b.avro', chunked([Buffer.from('x'), Buffer.from('yz')]));
    await s.put('snapshots/s/db/c-00000.avro', Buffer.alloc(0));
    expect((await readAll((await s.openRead('segments/a.avro')) as AsyncIterable<Buffer>)).toString()).toBe('hello');
    expect(await s.stat('segments/b.avro')).toEqual({ bytes: 3 });
    expect(await s.stat('segments/none.avro')).toBeNull();
    expect(await s.list('segments/')).toEqual(['segments/a.avro', 'segments/b.avro']);
    expect(await s.list()).toEqual(['segments/a.avro', 'segments/b.avro', 'snapshots/s/db/c-00000.avro']);
    expect(s.locate('segments/a.avro')).toBe(`s3://${bucket}/arch/one/segments/a.avro`);
    // The keys really are under the prefix, nothing outside it.
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'arch/' }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual(['arch/one/segments/a.avro', 'arch/one/segments/b.avro', 'arch/one/snapshots/s/db/c-00000.avro']);
    await s.delete('segments/a.avro');
    await s.delete('segments/a.avro'); // a missing object is not an error
    expect(await s.list('segments/')).toEqual(['segments/b.avro']);
    await expect(s.openRead('segments/a.avro')).rejects.toMatchObject({ code: 'ARCHIVE_FILE_MISSING', context: { location: `s3://${bucket}/arch/one/segments/a.avro` } });
    expect(() => s.key('../escape')).toThrow(expect.objectContaining({ code: 'ARCHIVE_INVALID_PATH' }));
  });

  it('uploads a file larger than a part as a multipart upload and reads it back byte for byte', async () => {
    const s = store('arch/multipart', { partBytes: 5 * MIB, partConcurrency: 2 });
    const data = randomBytes(12 * MIB + 12345);
    // Fed in odd-sized chunks, as the container writer does.
    const chunks = Array.from({ length: Math.ceil(data.length / 777_777) }, (_, i) => data.subarray(i * 777_777, (i + 1) * 777_777));
    const ref = await s.put('segments/big.avro', chunked(chunks));
    expect(ref.bytes).toBe(data.length);
    expect(ref.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'arch/multipart/segments/big.avro' }));
    expect(head.ETag).toMatch(/-3"$/); // S3's mark of an object assembled from 3 parts
    expect((await readAll((await s.openVerified(ref)) as AsyncIterable<Buffer>)).equals(data)).toBe(true);
    await expect(verifyFile(s, ref)).resolves.toBeUndefined();
    // A failed source leaves no object behind (the multipart upload is aborted).
    const failing = (async function* () {
      yield await Promise.resolve(data.subarray(0, 6 * MIB));
      throw new Error('source broke');
    })();
    await expect(s.put('segments/broken.avro', failing)).rejects.toThrow(/source broke/);
    expect(await s.stat('segments/broken.avro')).toBeNull();
  });

  it('refuses to hand out a changed, truncated or grown object (verified reads)', async () => {
    const s = store('arch/verify');
    const ref = await s.put('segments/v.avro', Buffer.from('0123456789'));
    const key = 'arch/verify/segments/v.avro';
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('0123456780') }));
    await expect(s.openVerified(ref)).rejects.toMatchObject({ code: 'ARCHIVE_CHECKSUM_MISMATCH' });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('01234') }));
    await expect(s.openVerified(ref)).rejects.toMatchObject({ code: 'ARCHIVE_TRUNCATED', context: { actualBytes: 5 } });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('0123456789++') }));
    await expect(s.openVerified(ref)).rejects.toMatchObject({ code: 'ARCHIVE_LENGTH_MISMATCH', context: { actualBytes: 12 } });
  });

  it('writes and reads segments through the store (the reader verifies before the first event)', async () => {
    const s = store('arch/segments');
    const events = Array.from({ length: 500 }, (_, i) => makeEvent(i + 1, { increment: i + 1 }));
    const entry = await writeSegment(s, events);
    const back = [];
    for await (const e of readSegment(s, entry)) back.push(e);
    expect(back.map((e) => e.increment)).toEqual(events.map((e) => e.increment));
    expect(Buffer.compare(back[7]?.fullDocument as Buffer, events[7]?.fullDocument as Buffer)).toBe(0);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `arch/segments/${entry.file.path}`, Body: Buffer.alloc(entry.file.bytes, 1) }));
    const seen: unknown[] = [];
    const err = await (async () => {
      for await (const e of readSegment(s, entry)) seen.push(e);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ARCHIVE_CHECKSUM_MISMATCH' });
    expect(seen).toHaveLength(0);
  });

  it('keeps the catalog as create-only generation objects; a second writer is refused and overwrites nothing', async () => {
    const prefix = 'arch/catalog';
    const a = new CatalogStore(new S3CatalogMedium(store(prefix), { leaseMs: 5000 }), { lockWaitMs: 300 });
    await a.init('src');
    await a.acquire();
    await a.update((c) => {
      c.durable = '1714564800.1.0';
    });
    const keys = async () =>
      ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/catalog/` }))).Contents ?? []).map((o) => o.Key).sort();
    expect(await keys()).toEqual([`${prefix}/catalog/000000000000.json`, `${prefix}/catalog/000000000001.json`]);
    // No sums object on S3 (catalog.sums.json is the folder medium's): said plainly, not claimed verified.
    expect((await a.readChecked()).integrity).toBe('no-checksum');

    // A second archiver on the same bucket and prefix: refused before it writes anything.
    const b = new CatalogStore(new S3CatalogMedium(store(prefix), { leaseMs: 5000 }), { lockWaitMs: 300 });
    await expect(b.acquire()).rejects.toMatchObject({ code: 'CATALOG_LOCKED', retryable: true, context: { holderPid: process.pid, holderHost: hostname() } });
    await expect(b.update(() => undefined)).rejects.toMatchObject({ code: 'CATALOG_LOCKED' });
    expect(await keys()).toHaveLength(2);

    // Even a writer that slipped past the lock cannot be overwritten: here one commits generation 2
    // while `a` is between reading generation 1 and committing its own generation 2.
    let intruder = '';
    const err = await a
      .update(async (c) => {
        intruder = JSON.stringify({ ...c, generation: 2, updatedAt: new Date().toISOString(), durable: '1714564800.5.0' });
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/catalog/000000000002.json`, Body: intruder }));
        c.durable = '1714564800.9.0';
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CATALOG_CONFLICT', retryable: false });
    expect((err as Error).message).toMatch(/generation 2 was committed by another writer; nothing was overwritten/);
    const kept = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/catalog/000000000002.json` }));
    expect(await kept.Body?.transformToString()).toBe(intruder);
    expect((await a.read()).generation).toBe(2);
    expect((await a.readPrevious()).generation).toBe(1);
    await a.release();
    // Released: the lock object is gone and another store may write.
    await expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}/${S3_LOCK_OBJECT}` }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect((await b.update(() => undefined)).generation).toBe(3);
  });

  it('keeps only the last few generations', async () => {
    const c = new CatalogStore(new S3CatalogMedium(store('arch/prune')));
    await c.init('src');
    for (let i = 0; i < 8; i++) await c.update(() => undefined);
    const s = store('arch/prune');
    expect(await s.list('catalog/')).toEqual(['catalog/000000000005.json', 'catalog/000000000006.json', 'catalog/000000000007.json', 'catalog/000000000008.json']);
    expect((await c.read()).generation).toBe(8);
  });

  it('renews its lease while it holds it, and takes over the lease of a dead process or an expired one', async () => {
    const prefix = 'arch/lease';
    const leaseMs = 3000;
    const mk = () => new CatalogStore(new S3CatalogMedium(store(prefix), { leaseMs }), { lockWaitMs: 100 });
    const a = mk();
    await a.init('src');
    await a.acquire();
    await sleep(leaseMs + 1500); // past one lease: only renewals keep it
    await expect(mk().acquire()).rejects.toMatchObject({ code: 'CATALOG_LOCKED' });
    expect((await a.update(() => undefined)).generation).toBe(1);
    await a.release();

    // A holder that died on this host: taken over at once.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    const lockKey = `${prefix}/${S3_LOCK_OBJECT}`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: lockKey, Body: JSON.stringify({ pid: dead.pid, host: hostname(), nonce: 'x', leaseMs: 600_000, renewedAt: '' }) }));
    const b = mk();
    await b.acquire();
    expect((await b.update(() => undefined)).generation).toBe(2);
    await b.release();

    // A holder whose pid is alive on this host but was started at another time (a reused pid, pid 1 of a
    // restarted container): gone, taken over at once where /proc tells start times; else the lease must run out.
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: lockKey, Body: JSON.stringify({ pid: process.pid, host: hostname(), startTicks: '1', nonce: 'r', leaseMs: 600_000, renewedAt: '' }) }),
    );
    const reused = mk();
    if (currentOwner().startTicks !== undefined) {
      await reused.acquire();
      await reused.release();
    } else {
      await expect(reused.acquire()).rejects.toMatchObject({ code: 'CATALOG_LOCKED' });
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: lockKey }));
    }

    // A holder on another host: refused while its lease runs, taken over once it has expired.
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: lockKey, Body: JSON.stringify({ pid: 1, host: 'elsewhere', nonce: 'y', leaseMs, renewedAt: '' }) }));
    const c = mk();
    await expect(c.acquire()).rejects.toMatchObject({ code: 'CATALOG_LOCKED', context: { holderHost: 'elsewhere' } });
    await sleep(leaseMs + 2000);
    await c.acquire();
    expect((await c.update(() => undefined)).generation).toBe(3);
    await c.release();
  }, 30_000);

  it('a writer whose lease was taken over stops committing (CATALOG_LEASE_LOST)', async () => {
    const prefix = 'arch/lost';
    const a = new CatalogStore(new S3CatalogMedium(store(prefix), { leaseMs: 3000 }));
    await a.init('src');
    await a.acquire();
    // Someone replaces the lock object (as a takeover would).
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${S3_LOCK_OBJECT}`, Body: JSON.stringify({ pid: 1, host: 'elsewhere', nonce: 'z', leaseMs: 3000, renewedAt: '' }) }));
    await sleep(1500); // one renewal period: the renewal finds the lock changed
    await expect(a.update(() => undefined)).rejects.toMatchObject({ code: 'CATALOG_LEASE_LOST' });
    expect((await a.read()).generation).toBe(0);
    await a.release();
  });

  it('with encryption on, no document byte reaches the bucket in the clear, and the files read back', async () => {
    const marker = 'S3-MARKER-not-for-the-bucket';
    const ring = makeKeyring(new Map([['k1', randomBytes(32)]]), 'k1');
    const opened = openArchiveAt(`s3://${bucket}/arch/encrypted`, { s3: { endpoint: server.endpoint, addressing: 'path', credentials }, keyring: ring });
    const events = Array.from({ length: 200 }, (_, i) => makeEvent(i + 1, { increment: i + 1, document: bsonBytes({ _id: i, note: `${marker} ${i}` }) }));
    const entry = await writeSegment(opened.store, events, { codec: 'null' });
    const keys = ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'arch/encrypted/' }))).Contents ?? []).map((o) => o.Key as string);
    expect(keys.sort()).toEqual([`arch/encrypted/keys/${entry.file.path}/k1.json`, `arch/encrypted/${entry.file.path}`]);
    for (const key of keys) {
      const body = await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToByteArray();
      expect(Buffer.from(body ?? []).includes(Buffer.from(marker))).toBe(false);
    }
    const back = [];
    for await (const e of readSegment(opened.store, entry)) back.push(e);
    expect(back).toHaveLength(200);
    expect(Buffer.from(back[5]?.fullDocument as Buffer).includes(Buffer.from(`${marker} 5`))).toBe(true);
  });

  it('a failed upload ends the writer with its error, plain or encrypted (it never waits forever)', async () => {
    const big = Array.from({ length: 3000 }, (_, i) => makeEvent(i + 1, { increment: i + 1, document: bsonBytes({ _id: i, pad: randomBytes(3000).toString('base64') }) }));
    const absent = { bucket: uniqueBucket('absent'), maxAttempts: 1 };
    await expect(writeSegment(store('x', absent), big, { codec: 'null' })).rejects.toMatchObject({ code: 'ARCHIVE_BUCKET_MISSING' });
    const keyed = withKeyring(store('x', absent), makeKeyring(new Map([['k1', randomBytes(32)]]), 'k1'));
    await expect(writeSegment(keyed, big, { codec: 'null' })).rejects.toMatchObject({ code: 'ARCHIVE_BUCKET_MISSING' });
  });

  it('opens s3://bucket/prefix by name, with credentials from the standard AWS chain', async () => {
    const saved = { ...process.env };
    try {
      process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
      const opened = openArchiveAt(`s3://${bucket}/arch/named/`, { s3: { endpoint: server.endpoint, addressing: 'path' } });
      expect(opened.root).toBe(`s3://${bucket}/arch/named`);
      await opened.catalog.init('named');
      expect((await opened.catalog.read()).sourceId).toBe('named');

      process.env.AWS_SECRET_ACCESS_KEY = 'wrong';
      const denied = openArchiveAt(`s3://${bucket}/arch/named`, { s3: { endpoint: server.endpoint, addressing: 'path', maxAttempts: 1 } });
      await expect(denied.catalog.read()).rejects.toMatchObject({ code: 'ARCHIVE_ACCESS_DENIED', retryable: false });

      for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
      process.env.AWS_CONFIG_FILE = '/nonexistent/config';
      process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      const none = openArchiveAt(`s3://${bucket}/arch/named`, { s3: { endpoint: server.endpoint, addressing: 'path', maxAttempts: 1 } });
      await expect(none.catalog.read()).rejects.toMatchObject({ code: 'ARCHIVE_CREDENTIALS_MISSING' });

      const missing = openArchiveAt(`s3://${uniqueBucket('absent')}/x`, { s3: { endpoint: server.endpoint, addressing: 'path', credentials, maxAttempts: 1 } });
      await expect(missing.catalog.read()).rejects.toMatchObject({ code: 'ARCHIVE_BUCKET_MISSING' });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

it('addresses buckets path-style or virtual-host style as configured, at a custom endpoint', async () => {
  const seen: string[] = [];
  for (const addressing of ['path', 'virtual-host'] as const) {
    const s = new S3BlobStore({ bucket: 'my-bucket', prefix: 'p', endpoint: 'http://s3.example.test:9000', addressing, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    // Stop each request once it is built: what matters here is where it would go.
    s.client.middlewareStack.add(
      () => (args) => {
        const req = args.request as { hostname: string; port?: number; path: string };
        seen.push(`${req.hostname}:${req.port ?? ''}${req.path}`);
        throw Object.assign(new Error('stopped'), { name: 'AbortError' });
      },
      { step: 'finalizeRequest', name: 'captureRequest', priority: 'low' },
    );
    await s.stat('segments/x.avro').catch(() => undefined);
  }
  expect(seen).toEqual(['s3.example.test:9000/my-bucket/p/segments/x.avro', 'my-bucket.s3.example.test:9000/p/segments/x.avro']);
});

it('refuses a malformed archive name before opening anything', () => {
  for (const [name, reason] of [
    ['s3://', /not a valid bucket name/],
    ['s3://Upper_Case/x', /not a valid bucket name/],
    ['s3://ok-bucket/a//b', /empty/],
    ['s3:/bucket', /expected s3:\/\/bucket\/prefix/],
    ['gs://bucket/x', /only folders and s3:\/\/bucket\/prefix/],
  ] as const) {
    expect(() => openArchiveAt(name)).toThrow(reason);
  }
});

/** A source that hands over `chunks` one by one, as a stream would. */
function chunked(chunks: Buffer[]): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (const c of chunks) yield await Promise.resolve(c);
  })();
}

// The S3 blob store across a restart of its server: a private s3proxy (so the
// run's shared server is never disturbed) is stopped in the middle of a
// multipart upload and in the middle of a read, and started again on the same
// port over the same objects. The upload's parts are retried with backoff and
// the read resumes with a Range request; both finish with the exact bytes.
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, startS3Proxy, uniqueBucket } from '../../test/harness/index.js';
import type { S3Server } from '../../test/harness/index.js';
import { S3BlobStore } from './index.js';
import { createS3Client } from './s3-client.js';

const MIB = 1024 * 1024;

describeWith('s3', 'S3 blob store across a server restart', (shared: S3Server) => {
  let proxy: Awaited<ReturnType<typeof startS3Proxy>> | null = null;
  let dataDir = '';
  let bucket = '';
  let failedRequests = 0;
  let gets = 0;
  const keys = { accessKeyId: 'restart-test', secretAccessKey: randomBytes(12).toString('hex') };

  const restart = async (downMs: number, graceMs?: number) => {
    const running = proxy as NonNullable<typeof proxy>;
    await running.stop({ keepData: true, ...(graceMs === undefined ? {} : { graceMs }) });
    await sleep(downMs);
    proxy = await startS3Proxy(shared.launch as NonNullable<S3Server['launch']>, { port: running.port, dataDir, ...keys });
  };

  const store = () => {
    const s = new S3BlobStore({
      bucket,
      prefix: 'restart',
      endpoint: proxy?.server.endpoint ?? '',
      addressing: 'path',
      credentials: keys,
      partBytes: 5 * MIB,
      partConcurrency: 1,
      maxAttempts: 12,
      retryBaseMs: 200,
    });
    // Counts requests that failed on the wire, to show the restart really hit the transfer.
    s.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectCommand') gets++;
        try {
          return await next(args);
        } catch (err) {
          failedRequests++;
          throw err;
        }
      },
      { step: 'finalizeRequest', name: 'countFailures' },
    );
    return s;
  };

  beforeAll(async () => {
    if (!shared.launch) return;
    proxy = await startS3Proxy(shared.launch, keys);
    dataDir = proxy.dataDir;
    bucket = uniqueBucket('restart');
    const admin = createS3Client({ endpoint: proxy.server.endpoint, addressing: 'path', credentials: keys });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    admin.destroy();
  });

  afterAll(async () => {
    await proxy?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('finishes a multipart upload that the server restart interrupted', async (context) => {
    if (!shared.launch) return context.skip('the S3 server is not a local s3proxy (REWIND_TEST_S3_ENDPOINT): it cannot be restarted from here');
    const s = store();
    const data = randomBytes(26 * MIB);
    const restarted: Promise<void>[] = [];
    const source = (async function* () {
      for (let at = 0; at < data.length; at += MIB) {
        // Past the first part: stop the server while later parts are still to come.
        if (at === 6 * MIB) restarted.push(restart(1500));
        yield await Promise.resolve(data.subarray(at, at + MIB));
      }
    })();
    failedRequests = 0;
    const ref = await s.put('segments/across-restart.avro', source);
    await Promise.all(restarted);
    expect(failedRequests).toBeGreaterThan(0);
    expect(ref).toMatchObject({ bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    const back: Buffer[] = [];
    for await (const c of (await s.openVerified(ref)) as AsyncIterable<Buffer>) back.push(c);
    expect(Buffer.concat(back).equals(data)).toBe(true);
  }, 90_000);

  it('resumes a read that the server restart interrupted, without mixing object versions', async (context) => {
    if (!shared.launch) return context.skip('the S3 server is not a local s3proxy (REWIND_TEST_S3_ENDPOINT): it cannot be restarted from here');
    const s = store();
    const data = randomBytes(48 * MIB);
    await s.put('segments/read-across-restart.avro', data);
    gets = 0;
    const stream = await s.openRead('segments/read-across-restart.avro');
    const back: Buffer[] = [];
    let got = 0;
    let restarted = false;
    for await (const c of stream as AsyncIterable<Buffer>) {
      back.push(c);
      got += c.length;
      if (!restarted && got >= MIB) {
        restarted = true;
        await restart(1000, 0); // killed mid-body, as a crash would
      }
    }
    expect(Buffer.concat(back).equals(data)).toBe(true);
    // The first request, then at least one Range request for the rest after the restart cut the body.
    expect(gets).toBeGreaterThanOrEqual(2);
  }, 90_000);
});

// `--archive s3://bucket/prefix` through bin/rewind.mjs (child processes),
// against the run's S3-compatible server: catalog, verify and status read the
// archive with REWIND_S3_* and credentials from the AWS environment.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { describeWith, s3TestClient, uniqueBucket } from '../../test/harness/index.js';
import type { S3Server } from '../../test/harness/index.js';
import { openArchiveAt, writeSegment } from '../archive/index.js';
import type { S3BlobStore } from '../archive/index.js';
import { makeEvent } from '../archive/testing/samples.js';

const bin = fileURLToPath(new URL('../../bin/rewind.mjs', import.meta.url));

describeWith('s3', 'rewind commands on an S3 archive', (server: S3Server) => {
  let url = '';
  let env: NodeJS.ProcessEnv = {};
  let store: S3BlobStore;
  let segmentPath = '';
  const rewind = (extra: NodeJS.ProcessEnv, ...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { env: { ...process.env, REWIND_ARCHIVE_DIR: '', ...env, ...extra } }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });

  beforeAll(async () => {
    const t = s3TestClient(server);
    const bucket = uniqueBucket('cli');
    await t.createBucket(bucket);
    url = `s3://${bucket}/team/source-a`;
    env = {
      REWIND_S3_ENDPOINT: server.endpoint,
      REWIND_S3_ADDRESSING: 'path',
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_REGION: server.region,
    };
    const archive = openArchiveAt(url, { s3: { endpoint: server.endpoint, addressing: 'path', credentials: t.credentials } });
    store = archive.store as S3BlobStore;
    await archive.catalog.init('cli-s3');
    const seg = await writeSegment(archive.store, [makeEvent(1, { increment: 1 }), makeEvent(2, { increment: 2 })]);
    segmentPath = seg.file.path;
    await archive.catalog.update((c) => {
      c.segments.push(seg);
      c.durable = '1714564800.2.0';
    });
  });

  it('catalog and status read the archive named s3://bucket/prefix', async () => {
    const cat = await rewind({}, 'catalog', '--archive', url, '--json');
    expect(cat.code).toBe(0);
    expect(JSON.parse(cat.stdout)).toMatchObject({ archive: url, sourceId: 'cli-s3', segments: { count: 1, events: 2 } });
    const viaEnv = await rewind({ REWIND_ARCHIVE_DIR: url }, 'status', '--json');
    // Its durable point is from 2024: CRIT (exit 4), read from the bucket all the same.
    expect(viaEnv.code).toBe(4);
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ verdict: 'CRIT', reasons: expect.arrayContaining([expect.objectContaining({ code: 'DURABLE_AGE' })]) as unknown });
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ sourceId: 'cli-s3', segments: { count: 1 }, processes: [] });
  });

  it('verify re-hashes the objects and names a damaged one', async () => {
    const ok = await rewind({}, 'verify', '--archive', url, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ files: 1, ok: 1, problems: [] });
    const { client } = s3TestClient(server);
    await client.send(new PutObjectCommand({ Bucket: store.bucket, Key: store.key(segmentPath), Body: Buffer.from('damaged') }));
    const bad = await rewind({}, 'verify', '--archive', url);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain(`BAD ${segmentPath}`);
    // Recorded in the bucket (verify.json beside the catalog) and made a gap in the catalog: status reads both there.
    const after = await rewind({}, 'status', '--archive', url, '--json');
    expect(after.code).toBe(4);
    const report = JSON.parse(after.stdout) as { lastVerify: { damaged: number; by: string }; gaps: { reason: string; pending: boolean }[]; reasons: { code: string }[] };
    expect(report.lastVerify).toMatchObject({ damaged: 1, by: 'command' });
    expect(report.gaps).toEqual([expect.objectContaining({ pending: false, reason: expect.stringContaining(segmentPath) as unknown })]);
    expect(report.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['OPEN_GAP', 'VERIFY_FOUND_DAMAGE']));
  });

  it('refuses bad S3 settings and archive names with messages naming them, before any request', async () => {
    const addressing = await rewind({ REWIND_S3_ADDRESSING: 'sideways' }, 'catalog', '--archive', url);
    expect(addressing.code).not.toBe(0);
    expect(addressing.stderr).toMatch(/archive\.s3\.addressing/);
    const name = await rewind({}, 'catalog', '--archive', 's3://Not_A_Bucket/x');
    expect(name.code).not.toBe(0);
    expect(name.stderr).toMatch(/ARCHIVE_LOCATION_INVALID.*not a valid bucket name/);
  });
});

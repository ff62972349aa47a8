// `rewind up` into s3://bucket/prefix on the run's S3-compatible server, with
// encryption on: the whole capture (collector, embedded log, archiver) writes
// an encrypted archive to the bucket, `rewind status` reads it there, and a
// second `up` on the same bucket and prefix is refused while the first runs.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadUpConfig } from '../../../contracts/runtime-config.js';
import { ENCRYPTED_MAGIC, openArchiveAt, readSegment, readWhole, unkeyed } from '../../../services/archive/index.js';
import { readStatus } from '../../../services/app/status.js';
import { DEFAULT_STATUS_THRESHOLDS } from '../../../contracts/status-thresholds.js';
import { archiveAccessFromEnv } from '../../../contracts/runtime-config.js';
import { runUp } from '../../../services/app/index.js';
import { RecordedChangeSource } from '../../../services/collector/testing/recorded-change-source.js';
import { RecordedCopySource } from '../../../services/collector/testing/recorded-copy-source.js';
import { syntheticStream } from '../../../services/collector/testing/synthetic-stream.js';
import { describeWith, s3TestClient, uniqueBucket } from '../../harness/index.js';
import type { S3Server } from '../../harness/index.js';

const captureStatus = (archive: string) => readStatus({ archive, access: archiveAccessFromEnv(), thresholds: DEFAULT_STATUS_THRESHOLDS });
const silent = pino({ level: 'silent' });

describeWith('s3', 'rewind up into an S3 archive, encrypted', (server: S3Server) => {
  const saved = { ...process.env };
  let url = '';

  beforeAll(async () => {
    const t = s3TestClient(server);
    const bucket = uniqueBucket('up');
    await t.createBucket(bucket);
    url = `s3://${bucket}/prod/shop`;
    // What an operator sets: the AWS chain's variables, REWIND_S3_* and the master key.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_REGION: server.region,
      REWIND_S3_ENDPOINT: server.endpoint,
      REWIND_S3_ADDRESSING: 'path',
      REWIND_TEST_UP_KEY: randomBytes(32).toString('base64'),
      REWIND_ENCRYPTION_KEYS: 'k1=env:REWIND_TEST_UP_KEY',
      REWIND_ENCRYPTION_KEY: 'k1',
    });
  });
  afterAll(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  });

  it('captures into the bucket, shows status from it, and refuses a second up on the same prefix', async () => {
    const events = syntheticStream({ events: 1500, perSecond: 300, startSeconds: Math.floor(Date.now() / 1000) - 60 });
    // The events start once the capture is open (S3 opening takes a few requests): events from before
    // the stream opened would belong to the initial copy, which this recorded source leaves empty.
    const t0 = Date.now() + 3000;
    const load = () => loadUpConfig({ env: process.env, overrides: { mongo: { uri: 'mongodb://recorded' }, archive: { dir: url, segmentMaxAgeMs: 100 } } });
    const config = load();
    expect(config.archive.s3).toMatchObject({ endpoint: server.endpoint, addressing: 'path' });
    const controller = new AbortController();
    const first = runUp({ config, source: new RecordedChangeSource(events, { batchSize: 100, availableAtMs: (i) => t0 + i }), copySource: new RecordedCopySource(() => []), log: silent, signal: controller.signal });
    const deadline = Date.now() + 40_000;
    let report = await captureStatus(url).catch(() => null);
    while ((!report || report.segments.events < 1500 || report.processes.length === 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      report = await captureStatus(url).catch(() => null);
    }
    expect(report?.segments.events).toBe(1500);
    expect(report?.processes[0]).toMatchObject({ process: 'up', running: true });

    // A second `up` on the same bucket and prefix: refused, the first goes on undisturbed.
    const second = await runUp({ config: load(), source: new RecordedChangeSource([]), copySource: new RecordedCopySource(() => []), log: silent, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'CATALOG_LOCKED' });

    controller.abort();
    await first;
    const archive = openArchiveAt(url, { s3: { endpoint: server.endpoint, addressing: 'path' }, encryption: { key: 'k1', keys: { k1: { env: 'REWIND_TEST_UP_KEY' } } } });
    const catalog = await archive.catalog.read();
    let n = 0;
    for (const seg of catalog.segments) for await (const _ of readSegment(archive.store, seg)) n++;
    expect(n).toBe(1500);
    // Every data file in the bucket is encrypted.
    const raw = unkeyed(archive.store);
    const dataFiles = (await raw.list()).filter((p) => p.startsWith('segments/') || p.startsWith('snapshots/'));
    expect(dataFiles.length).toBeGreaterThan(0);
    for (const p of dataFiles) expect((await readWhole(raw, p)).subarray(0, 8).equals(ENCRYPTED_MAGIC)).toBe(true);
  }, 90_000);
});

/**
 * The guard against writing into the source, by what the target says it is.
 * The stand-in answers as a standalone (TEST-INFRA.md), so here every target
 * is "cannot tell": each URI spelling of the live source that used to pass
 * (a trailing slash, a localhost alias, an added ?appName) is refused without
 * --yes-overwrite-source, and the refusal says why. Identities that match or
 * differ are covered with documented replies in
 * services/collector/deployment-identity.test.ts; a real replica set runs
 * them in replica.test.ts where one is given.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Int32 } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import type { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { position } from '../../../contracts/index.js';
import { announceDeployment, readDeploymentIdentity } from '../../../services/collector/deployment-identity.js';
import { EmbeddedLog } from '../../../services/eventlog/embedded-log.js';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';
import { errorOf, runRewind } from './cli-runner.js';
import { TestArchive } from './test-archive.js';

describeWith('wire', 'restore compares deployment identities, never URI text', (server) => {
  let client: MongoClient;
  let archive: TestArchive;
  let jobDir: string;
  const live = uniqueDatabase('live');
  const liveDocs = [1, 2, 3].map((i): Document => ({ _id: new Int32(i), v: 'live' }));
  const hashLive = async () => {
    const h = createHash('sha256');
    for await (const d of client.db(live).collection('orders').find({}, { raw: true, sort: { _id: 1 } })) h.update(d as unknown as Uint8Array);
    return h.digest('hex');
  };

  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    jobDir = await mkdtemp(join(tmpdir(), 'rewind-identity-jobs-'));
    archive = await TestArchive.create();
    // The archive captured `live.orders`; the stand-in holds the live collection under the same name.
    await archive.initialSnapshot(position(1_767_400_000, 0, 0), new Map([[`${live}.orders`, [1, 2, 4].map((i) => ({ _id: new Int32(i), v: 'archived' }))]]));
    await client.db(live).collection('orders').insertMany(liveDocs);
  });
  afterAll(async () => {
    await client?.close();
    await archive?.remove();
    await rm(jobDir, { recursive: true, force: true });
  });

  it('the stand-in says it is a standalone, and a capture does not announce a standalone', async () => {
    expect(await readDeploymentIdentity(client)).toEqual({ kind: 'standalone' });
    const log = new EmbeddedLog();
    expect(await announceDeployment(client, log.producer, pino({ level: 'silent' }))).toEqual({ kind: 'standalone' });
    expect(await log.consumer.poll(0)).toBeNull();
  });

  it('refuses every spelling of the live source as a target without --yes-overwrite-source, saying it cannot tell', async () => {
    const { hostname: host, port } = new URL(server.uri.replace(/^mongodb:/, 'http:'));
    const spellings = [`mongodb://${host}:${port}/`, `mongodb://localhost:${port}`, `mongodb://${host}:${port}/?appName=x`, `mongodb://${host}:${port}`];
    const before = await hashLive();
    for (const target of spellings) {
      const run = await runRewind(['restore', '--archive', archive.root, '--job-dir', jobDir, '--json', '--source', `mongodb://${host}:${port}`, '--target', target, '--mode', 'overwrite']);
      expect(run.code, `${target}: ${run.stdout}`).toBe(1);
      expect(errorOf(run).code).toBe('CONFIRMATION_REQUIRED');
      expect(errorOf(run).message).toMatch(/the archive recorded no identity of its source .* cannot tell whether the target \(a standalone server/);
      expect(errorOf(run).message).toContain(`${live}.orders`);
    }
    // The dry run refuses the same.
    const dry = await runRewind(['restore', '--archive', archive.root, '--json', '--target', spellings[0] as string, '--mode', 'overwrite', '--dry-run']);
    expect(errorOf(dry).code).toBe('CONFIRMATION_REQUIRED');
    expect(await hashLive()).toBe(before);
  });

  it('with the source recorded as a replica set, a standalone target is still refused, naming both', async () => {
    await archive.catalogs.update((c) => {
      c.deployments = [{ identity: { kind: 'replica-set', setName: 'rs0', replicaSetId: '65f0c0ffee00000000000001' }, firstSeenAt: new Date().toISOString() }];
    });
    const before = await hashLive();
    const run = await runRewind(['restore', '--archive', archive.root, '--job-dir', jobDir, '--json', '--target', server.uri, '--mode', 'overwrite']);
    expect(errorOf(run).code).toBe('CONFIRMATION_REQUIRED');
    expect(errorOf(run).message).toMatch(/the target is a standalone server .* cannot tell whether it is the captured replica set "rs0" \(replicaSetId 65f0c0ffee00000000000001\)/);
    expect(await hashLive()).toBe(before);
  });

  it('restores elsewhere without confirmation, and into the live names with it, reporting what the target is', async () => {
    const elsewhere = uniqueDatabase('elsewhere');
    const copy = await runRewind(['restore', '--archive', archive.root, '--job-dir', jobDir, '--json', '--target', server.uri, '--ns-from', `${live}.*`, '--ns-to', `${elsewhere}.*`]);
    expect(copy.code, copy.stdout).toBe(0);
    const confirmed = await runRewind(['restore', '--archive', archive.root, '--job-dir', jobDir, '--json', '--target', server.uri, '--mode', 'overwrite', '--yes-overwrite-source']);
    expect(confirmed.code, confirmed.stdout).toBe(0);
    const report = JSON.parse(confirmed.stdout) as { destination: { deployment: string; isCapturedSource: string }; totals: { inserted: number; replaced: number; deleted: number } };
    expect(report.destination).toMatchObject({ isCapturedSource: 'unknown' });
    expect(report.destination.deployment).toMatch(/standalone/);
    expect(report.totals).toMatchObject({ inserted: 1, replaced: 2, deleted: 1 });
  });
});

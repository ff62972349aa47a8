/**
 * `rewind scan` end to end through the CLI against the wire server and a real
 * archive (TestArchive: an initial copy, events, a compaction): the report's
 * shape (zod), status success / partial / failed, and recommendations that
 * are run as printed and repair what the scan found.
 *
 * The live database is made from the archive by `rewind restore` (inserts
 * into empty collections), and diverged documents are made with $set of an
 * existing field, so byte comparisons hold on the stand-in (TEST-INFRA.md:
 * field order).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Document } from 'bson';
import type { Filter, MongoClient, Document as DriverDocument } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Int32 } from '../../../contracts/bson.js';
import { position } from '../../../contracts/index.js';
import { recoveryReportSchema } from '../../../contracts/recovery-report.js';
import type { RecoveryReport } from '../../../contracts/recovery-report.js';
import { DIFF_REPORT_KIND } from '../../../services/restore/diff.js';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';
import { runRewind } from '../restore/cli-runner.js';
import { RawEvents } from '../restore/raw-events.js';
import { TestArchive } from '../restore/test-archive.js';

/** `{_id: {$in: [Int32…]}}`: the project's bson Int32, which the driver's typings do not know. */
const byIds = (...ids: number[]) => ({ _id: { $in: ids.map((i) => new Int32(i)) } }) as unknown as Filter<DriverDocument>;
const byId = (id: number) => ({ _id: new Int32(id) }) as unknown as Filter<DriverDocument>;
const order = (i: number, status = 'open'): Document => ({ _id: new Int32(i), status, n: new Int32(i) });

describeWith('wire', 'rewind scan: the recovery report', (server) => {
  let client: MongoClient;
  let archive: TestArchive;
  let work: string;
  let db: string;
  let env: NodeJS.ProcessEnv;

  const scan = async (...args: string[]) => {
    const run = await runRewind(['scan', '--archive', archive.root, '--source-uri', server.uri, '--db', db, '--path', work, '--json', ...args], env);
    return { ...run, report: run.stdout.startsWith('{') ? recoveryReportSchema.parse(JSON.parse(run.stdout)) : (null as unknown as RecoveryReport) };
  };
  const orders = () => client.db(db).collection('orders');

  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    work = await mkdtemp(join(tmpdir(), 'rewind-scan-e2e-'));
    env = { ...process.env, REWIND_JOB_DIR: join(work, 'jobs') };
    db = uniqueDatabase('scan');
    archive = await TestArchive.create();
    const raw = new RawEvents(1_767_200_000, db);
    await archive.initialSnapshot(
      position(1_767_200_000, 0, 0),
      new Map([
        [`${db}.orders`, Array.from({ length: 30 }, (_, i) => order(i + 1))],
        [`${db}.people`, [{ _id: 'ann', age: new Int32(40) }]],
      ]),
    );
    for (let i = 1; i <= 5; i++) archive.add(raw.one(raw.set('orders', new Int32(i), { status: 'paid' })));
    for (let i = 31; i <= 35; i++) archive.add(raw.one(raw.insert('orders', order(i))));
    archive.add(raw.one(raw.delete('orders', new Int32(30))));
    archive.add(raw.one(raw.insert('people', { _id: 'bob', age: new Int32(30) })));
    await archive.flush();
    // The live database: the archive's latest state, inserted by a restore.
    const made = await runRewind(['restore', '--archive', archive.root, '--target-uri', server.uri, '--yes-overwrite-source', '--job-dir', join(work, 'jobs'), '--json'], env);
    expect(made.code, made.stdout + made.stderr).toBe(0);
  });

  afterAll(async () => {
    await client?.db(db).dropDatabase().catch(() => undefined);
    await client?.close();
    await archive?.remove();
    await rm(work, { recursive: true, force: true });
  });

  it('says success when the live database matches the archive, with the whole report shape', async () => {
    const { code, report, stderr } = await scan();
    expect(stderr).toBe('');
    expect(report.summary.status, report.summary.status_reasons.join('; ')).toBe('success');
    expect(code).toBe(0);
    expect(report.database).toMatchObject({ connected: true, name: db, collections: { orders: 34, people: 2 }, total_found: 36 });
    expect(report.archive).toMatchObject({ readable: true, open_gaps: 0, gaps: [], snapshots: { count: 1 }, last_verify: null });
    expect(report.archive?.window?.latest.position).toBe(report.archive?.durable?.position);
    expect(report.archive?.lag_seconds).toBeGreaterThan(0);
    expect(report.missing.namespaces[`${db}.orders`]).toMatchObject({ archive_count: 34, live_count: 34, identical: 34, missing: 0, unexpected: 0, diverged: 0, keys_file: null });
    expect(report.summary.total_recovered).toBe(36);
    expect(report.summary.recommendations.map((r) => r.id)).toEqual(['verify-archive']);
  });

  it('says partial and recommends the restore that puts back exactly the missing documents; run as printed, it repairs them', async () => {
    await orders().deleteMany(byIds(2, 7, 31));
    await orders().updateOne(byId(10), { $set: { status: 'tampered' } });
    await orders().insertOne(order(99, 'stray'));
    const out = join(work, 'report.json');
    const first = await scan('--out', out);
    expect(first.code).toBe(3);
    const r = first.report;
    expect(r.summary.status).toBe('partial');
    const m = r.missing.namespaces[`${db}.orders`];
    expect(m).toMatchObject({ missing: 3, unexpected: 1, diverged: 1, identical: 30, archive_count: 34, live_count: 32 });
    expect(m?.samples.missing).toEqual([{ $numberInt: '2' }, { $numberInt: '7' }, { $numberInt: '31' }]);
    expect(m?.samples.diverged).toEqual([{ $numberInt: '10' }]);
    expect(m?.samples.unexpected).toEqual([{ $numberInt: '99' }]);
    // The --out file is the same report; the key list beside it is restore's --keys-from format.
    expect(recoveryReportSchema.parse(JSON.parse(await readFile(out, 'utf8'))).summary.status).toBe('partial');
    expect(m?.keys_file).toBe(join(work, `report.${db}.orders.diff.json`));
    expect((JSON.parse(await readFile(m?.keys_file ?? '', 'utf8')) as { kind: string }).kind).toBe(DIFF_REPORT_KIND);
    expect(r.missing.namespaces[`${db}.people`]?.keys_file).toBeNull();

    const repair = r.summary.recommendations.find((x) => x.id === 'restore-missing');
    expect(repair?.argv).toEqual(['restore', '--archive', archive.root, '--keys-from', m?.keys_file, '--mode', 'missing-only', '--target-uri', server.uri, '--yes-overwrite-source']);
    expect(repair?.command).toBe(`rewind ${repair?.argv.join(' ')}`);
    const restored = await runRewind(repair?.argv ?? [], env);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    expect(await orders().countDocuments(byIds(2, 7, 31))).toBe(3);
    // missing-only left the diverged and the unexpected document as they were.
    expect((await orders().findOne(byId(10)))?.status).toBe('tampered');

    const second = await scan('--out', out);
    expect(second.report.missing.namespaces[`${db}.orders`]).toMatchObject({ missing: 0, unexpected: 1, diverged: 1 });
    expect(second.report.summary.status).toBe('partial');
    const review = second.report.summary.recommendations.find((x) => x.id === 'review-diverged');
    expect(review?.argv).toContain('--dry-run');
    const dry = await runRewind([...(review?.argv ?? []), '--json'], env);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as { totals: { replaced: number; deleted: number } }).totals).toMatchObject({ replaced: 1, deleted: 1 });
    expect((await orders().findOne(byId(10)))?.status).toBe('tampered');
    // Without --dry-run the same command makes the namespace match the archive again.
    const applied = await runRewind((review?.argv ?? []).filter((a) => a !== '--dry-run'), env);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const third = await scan();
    expect(third.report.summary.status, third.report.summary.status_reasons.join('; ')).toBe('success');
  });

  it('in a dry run writes no key list and recommends the diff that writes it, then the restore; both run as printed', async () => {
    await orders().deleteMany(byIds(3, 4));
    const diffDir = await mkdtemp(join(work, 'dry-'));
    const out = join(diffDir, 'report.json');
    const { report, code } = await scan('--dry-run', '--out', out);
    expect(code).toBe(3);
    expect(report.dry_run).toBe(true);
    expect(report.missing.namespaces[`${db}.orders`]).toMatchObject({ missing: 2, keys_file: null });
    const ids = report.summary.recommendations.map((x) => x.id);
    expect(ids).toEqual(['verify-archive', 'diff-namespace', 'restore-missing']);
    const [diff, restore] = report.summary.recommendations.slice(1);
    expect(diff?.argv).toEqual(['diff', '--archive', archive.root, '--ns', `${db}.orders`, '--target-uri', server.uri, '--out', join(diffDir, `${db}.orders.diff.json`)]);
    for (const rec of [diff, restore]) {
      const run = await runRewind(rec?.argv ?? [], env);
      expect(run.code, run.stdout + run.stderr).toBe(0);
    }
    expect((await scan()).report.summary.status).toBe('success');
  });

  it('says failed, with the report still whole, when the live database cannot be reached', async () => {
    const run = await runRewind(['scan', '--archive', archive.root, '--source-uri', 'mongodb://127.0.0.1:1/x', '--connect-timeout-ms', '500', '--path', work, '--json'], env);
    expect(run.code).toBe(4);
    const report = recoveryReportSchema.parse(JSON.parse(run.stdout));
    expect(report.summary.status).toBe('failed');
    expect(report.database.connected).toBe(false);
    expect(report.summary.errors[0]).toMatchObject({ code: 'DATABASE_UNREACHABLE', where: 'database', retryable: true });
    expect(report.missing.skipped).toMatch(/not reached/);
    expect(report.archive?.readable).toBe(true);
  });

  it('says failed when the archive cannot be read, and partial for an open gap', async () => {
    const broken = await mkdtemp(join(work, 'broken-'));
    await cp(archive.root, broken, { recursive: true });
    await writeFile(join(broken, 'catalog.json'), '{ not json');
    const bad = await runRewind(['scan', '--archive', broken, '--source-uri', server.uri, '--db', db, '--path', work, '--json'], env);
    expect(bad.code).toBe(4);
    const report = recoveryReportSchema.parse(JSON.parse(bad.stdout));
    expect(report.archive).toMatchObject({ readable: false });
    expect(report.summary.errors[0]).toMatchObject({ where: 'archive', code: 'CATALOG_INVALID' });

    const gapped = await mkdtemp(join(work, 'gap-'));
    await cp(archive.root, gapped, { recursive: true });
    const { CatalogStore } = await import('../../../services/archive/index.js');
    await new CatalogStore(gapped).update((c) => void c.gaps.push({ from: c.durable ?? '0.0.0', reason: 'change stream history lost (test)', recordedAt: new Date().toISOString() }));
    const gap = await runRewind(['scan', '--archive', gapped, '--source-uri', server.uri, '--db', db, '--path', work, '--json'], env);
    expect(gap.code).toBe(3);
    const g = recoveryReportSchema.parse(JSON.parse(gap.stdout));
    expect(g.summary.status).toBe('partial');
    expect(g.archive?.open_gaps).toBe(1);
    expect(g.summary.recommendations.find((x) => x.id === 'check-gaps')?.argv).toEqual(['status', '--archive', gapped]);
  });

  it('prints a human report by default', async () => {
    const run = await runRewind(['scan', '--archive', archive.root, '--source-uri', server.uri, '--db', db, '--path', work], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^recovery report .*: SUCCESS/);
    expect(run.stdout).toContain(`database ${db} at ${server.uri}: connected, 2 collection(s), 36 document(s)`);
    expect(run.stdout).toContain(`rewind verify --archive ${archive.root}`);
  });
});

/**
 * `rewind restore`, `diff` and `history` end to end through the CLI, a real
 * archive and the wire server: undoing a deleteMany with --before-event,
 * a document's history, diff against a damaged copy repaired by a
 * missing-only restore from the diff's report, and every bad input refused
 * with a clear error, a non-zero exit and no write.
 *
 * Assertions on bytes read back hold on the stand-in and mongod alike: every
 * compared document was inserted into a collection by the restore (never
 * overwritten in place), see TEST-INFRA.md on the stand-in's field order.
 */
import { cp, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Int32, serialize } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatPosition, position } from '../../../contracts/index.js';
import { CatalogStore } from '../../../services/archive/index.js';
import { DIFF_REPORT_KIND } from '../../../services/restore/diff.js';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';
import { errorOf, runRewind } from './cli-runner.js';
import { RawEvents } from './raw-events.js';
import { TestArchive } from './test-archive.js';

const byBytes = (x: Uint8Array, y: Uint8Array) => Buffer.compare(x, y);
const bytesOf = (docs: Iterable<Document>) => [...docs].map((d) => Buffer.from(serialize(d))).sort(byBytes);
const order = (i: number, status = 'open'): Document => ({ _id: new Int32(i), status, n: new Int32(i), tags: ['a', 'b'] });

describeWith('wire', 'restore, diff and history through the CLI', (server) => {
  let client: MongoClient;
  let archive: TestArchive;
  let jobDir: string;
  let deleteManyId = '';
  let latestPosition = '';
  const beforeDeleteMany = new Map<number, Document>();
  const latest = new Map<number, Document>();
  const raw = new RawEvents(1_767_100_000, 'shop');

  const restore = (...args: string[]) => runRewind(['restore', '--archive', archive.root, '--job-dir', jobDir, '--json', ...args]);
  const readRaw = async (db: string, coll: string) => {
    const out: Buffer[] = [];
    for await (const d of client.db(db).collection(coll).find({}, { raw: true })) out.push(Buffer.from(d as unknown as Uint8Array));
    return out.sort(byBytes);
  };

  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    jobDir = await mkdtemp(join(tmpdir(), 'rewind-cli-jobs-'));
    archive = await TestArchive.create();
    const model = new Map<number, Document>();
    for (let i = 1; i <= 30; i++) model.set(i, order(i));
    await archive.initialSnapshot(position(1_767_100_000, 0, 0), new Map([['shop.orders', [...model.values()]], ['shop.people', [{ _id: 'ann', age: new Int32(40) }]]]));
    for (let i = 1; i <= 10; i++) {
      archive.add(raw.one(raw.set('orders', new Int32(i), { status: 'paid' })));
      model.set(i, { ...(model.get(i) as Document), status: 'paid' });
    }
    let lastAdded: { seconds: number; increment: number } = { seconds: 0, increment: 0 };
    for (let i = 31; i <= 40; i++) {
      lastAdded = archive.add(raw.one(raw.insert('orders', order(i))))[0] as typeof lastAdded;
      model.set(i, order(i));
    }
    await archive.flush();
    await archive.compactTo(position(lastAdded.seconds, lastAdded.increment, 0));
    archive.add(raw.transaction((ct) => [raw.set('orders', new Int32(20), { status: 'shipped' }, ct), raw.insert('orders', order(41, 'txn'), ct)], 7));
    model.set(20, { ...(model.get(20) as Document), status: 'shipped' });
    model.set(41, order(41, 'txn'));
    for (const [k, v] of model) beforeDeleteMany.set(k, v);
    const deleted = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    const events = archive.add(raw.deleteMany('orders', deleted.map((i) => new Int32(i))));
    deleteManyId = (events[0] as { id: string }).id;
    for (const i of deleted) model.delete(i);
    // After the accident: more writes that an undo must not lose.
    archive.add(raw.one(raw.insert('orders', order(42, 'after'))));
    model.set(42, order(42, 'after'));
    archive.add(raw.one(raw.set('orders', new Int32(1), { status: 'refunded' })));
    model.set(1, { ...(model.get(1) as Document), status: 'refunded' });
    // Document 50's life, for history.
    archive.add(raw.one(raw.insert('orders', order(50))));
    archive.add(raw.one(raw.set('orders', new Int32(50), { status: 'paid', extra: 'x' })));
    archive.add(raw.one(raw.delete('orders', new Int32(50))));
    const last = archive.add(raw.one(raw.insert('people', { _id: 'bob', age: new Int32(30) })));
    await archive.flush();
    latestPosition = formatPosition(position((last[0] as { seconds: number }).seconds, (last[0] as { increment: number }).increment, 0));
    for (const [k, v] of model) latest.set(k, v);
  });

  afterAll(async () => {
    await client?.close();
    await archive?.remove();
    await rm(jobDir, { recursive: true, force: true });
  });

  it('undoes a deleteMany with --before-event, keeping the writes that came after it', async () => {
    const db = uniqueDatabase('undo');
    const target = server.uri;
    const first = await restore('--target', target, '--ns', 'shop.orders', '--ns-from', 'shop.*', '--ns-to', `${db}.*`);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(await readRaw(db, 'orders')).toEqual(bytesOf(latest.values()));

    const dry = await restore('--target', target, '--before-event', deleteManyId, '--mode', 'missing-only', '--dry-run', '--ns', 'shop.orders', '--ns-from', 'shop.*', '--ns-to', `${db}.*`);
    expect(dry.code, dry.stdout).toBe(0);
    expect((JSON.parse(dry.stdout) as { totals: { inserted: number } }).totals.inserted).toBe(11);
    expect(await readRaw(db, 'orders')).toEqual(bytesOf(latest.values()));

    const undo = await restore('--target', target, '--before-event', deleteManyId, '--mode', 'missing-only', '--ns', 'shop.orders', '--ns-from', 'shop.*', '--ns-to', `${db}.*`);
    expect(undo.code, undo.stdout).toBe(0);
    const report = JSON.parse(undo.stdout) as { totals: { inserted: number; kept: number } };
    expect(report.totals.inserted).toBe(11);
    const want = new Map(latest);
    for (const i of [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]) want.set(i, beforeDeleteMany.get(i) as Document);
    expect(await readRaw(db, 'orders')).toEqual(bytesOf(want.values()));
  });

  it('lists every version of one document with time, operation and transaction', async () => {
    const run = await runRewind(['history', '--archive', archive.root, '--ns', 'shop.orders', '--id', '50', '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const h = JSON.parse(run.stdout) as { versions: { operation: string; exists: boolean; document: Document | null }[] };
    expect(h.versions.map((v) => v.operation)).toEqual(['snapshot', 'insert', 'update', 'delete']);
    expect(h.versions.map((v) => v.exists)).toEqual([false, true, true, false]);
    expect(h.versions[2]?.document).toEqual({ _id: { $numberInt: '50' }, status: 'paid', n: { $numberInt: '50' }, tags: ['a', 'b'], extra: 'x' });

    const txn = await runRewind(['history', '--archive', archive.root, '--ns', 'shop.orders', '--id', '20', '--json']);
    const t = JSON.parse(txn.stdout) as { versions: { operation: string; transaction: { txnNumber: number } | null }[] };
    expect(t.versions.map((v) => v.operation)).toEqual(['snapshot', 'update']);
    expect(t.versions[1]?.transaction?.txnNumber).toBe(7);
  });

  it('diff lists exactly what a copy lost and changed, and a missing-only restore from its report repairs the losses', async () => {
    const db = uniqueDatabase('diff');
    expect((await restore('--target', server.uri, '--ns', 'shop.orders', '--ns-from', 'shop.*', '--ns-to', `${db}.*`)).code).toBe(0);
    const coll = client.db(db).collection('orders');
    // Damage outside the log: lose three, change two, add one.
    await coll.deleteMany({ _id: { $in: [new Int32(2), new Int32(30), new Int32(41)] } } as Document);
    await coll.updateOne({ _id: new Int32(3) }, { $set: { status: 'tampered' } });
    await coll.updateOne({ _id: new Int32(33) }, { $set: { n: new Int32(-1) } });
    await coll.insertOne({ _id: new Int32(999), status: 'stray' } as Document);
    const out = join(jobDir, 'diff-report.json');
    const run = await runRewind(['diff', '--archive', archive.root, '--ns', 'shop.orders', '--target', server.uri, '--live-ns', `${db}.orders`, '--out', out, '--batch-size', '4', '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { at: string; counts: Record<string, number>; missing: unknown[]; unexpected: unknown[]; diverged: { key: unknown }[] };
    // The latest state is the state after the durable position's whole clusterTime group.
    expect(report.at).toBe(latestPosition.replace(/\.0$/, '.2147483647'));
    expect(report.missing).toEqual([{ $numberInt: '2' }, { $numberInt: '30' }, { $numberInt: '41' }]);
    expect(report.diverged.map((d) => d.key)).toEqual([{ $numberInt: '3' }, { $numberInt: '33' }]);
    expect(report.unexpected).toEqual([{ $numberInt: '999' }]);
    expect(report.counts).toMatchObject({ missing: 3, diverged: 2, unexpected: 1, identical: latest.size - 5 });

    const repair = await runRewind(['restore', '--archive', archive.root, '--job-dir', jobDir, '--json', '--mode', 'missing-only', '--keys-from', out, '--target', server.uri, '--ns-from', 'shop.orders', '--ns-to', `${db}.orders`]);
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    expect((JSON.parse(repair.stdout) as { totals: Record<string, number> }).totals).toMatchObject({ inserted: 3, replaced: 0, deleted: 0 });
    const again = await runRewind(['diff', '--archive', archive.root, '--ns', 'shop.orders', '--target', server.uri, '--live-ns', `${db}.orders`, '--json']);
    // The losses are back; missing-only never touched the changed or stray documents.
    expect((JSON.parse(again.stdout) as { counts: Record<string, number> }).counts).toMatchObject({ missing: 0, diverged: 2, unexpected: 1 });
  });

  it('refuses bad input with a clear error, a non-zero exit and no write', async () => {
    const db = uniqueDatabase('refusals');
    const into = ['--target', server.uri, '--ns-from', 'shop.*', '--ns-to', `${db}.*`];
    const report = join(jobDir, 'people-report.json');
    await writeFile(report, JSON.stringify({ kind: DIFF_REPORT_KIND, version: 1, ns: 'shop.people', at: latestPosition, truncated: false, missing: ['ann'], unexpected: [], diverged: [] }));
    const cases: [string[], string, RegExp][] = [
      [['--ns', 'shop.nope', ...into], 'UNKNOWN_NAMESPACE', /shop\.nope/],
      [['--to', '2020-01-01T00:00:00Z', ...into], 'OUTSIDE_WINDOW', /before the restorable window/],
      [['--to', '2100-01-01T00:00:00Z', ...into], 'PLAN_PAST_DURABLE', /past the latest durable position; the restorable window is/],
      [['--to-position', '12.x', ...into], 'BAD_POSITION', /12\.x/],
      [['--to', 'yesterday', ...into], 'BAD_POSITION', /yesterday/],
      [['--before-event', 'no-such-event', ...into], 'UNKNOWN_EVENT', /no-such-event/],
      [['--filter', '{"status": {"$regex": "^o"}}', ...into], 'UNSUPPORTED_FILTER_OPERATOR', /regular expressions/],
      [['--filter', '{"tags": {"$elemMatch": {"$eq": "a"}}}', ...into], 'UNSUPPORTED_FILTER_OPERATOR', /\$elemMatch/],
      [['--filter', '{status: 1}', ...into], 'BAD_FILTER', /JSON/],
      [['--id', '{"$oid": "nope"}', '--ns', 'shop.orders', ...into], 'BAD_KEY', /--id/],
      [['--mode', 'sideways', ...into], 'BAD_OPTIONS', /--mode/],
      [['--source', server.uri, '--ns', 'shop.orders'], 'CONFIRMATION_REQUIRED', /--yes-overwrite-source/],
      // A mapping that maps nothing would have restored into the live shop.* names themselves.
      [['--source', server.uri, '--yes-overwrite-source', '--mode', 'overwrite', '--ns-from', 'shp.*', '--ns-to', `${db}.*`], 'UNKNOWN_NAMESPACE', /--ns-from "shp\.\*".*maps nothing/],
      // A key that never existed: refused, not an empty collection.
      [['--id', '99999', '--ns', 'shop.orders', ...into], 'UNKNOWN_KEY', /no document with --id \{"\$numberInt":"99999"\} exists in shop\.orders/],
      // --keys-from no longer replaces an explicit, different --ns.
      [['--keys-from', report, '--mode', 'missing-only', '--ns', 'shop.orders', ...into], 'BAD_OPTIONS', /--ns "shop\.orders" contradicts --keys-from .*"shop\.people"/],
      [['--job', 'j1', '--dry-run', ...into], 'BAD_OPTIONS', /--job has no effect with --dry-run/],
    ];
    for (const [args, code, message] of cases) {
      const run = await restore(...args);
      expect(run.code, `${args.join(' ')} → ${run.stdout}`).not.toBe(0);
      const err = errorOf(run);
      expect(err.code, args.join(' ')).toBe(code);
      expect(err.message).toMatch(message);
    }
    expect(await client.db(db).listCollections().toArray()).toEqual([]);
    expect(await client.db('shop').listCollections().toArray()).toEqual([]); // in place was refused

    // A scope that selects nothing says so and creates nothing.
    const nothing = await restore('--filter', '{"status": "no-such-status"}', '--ns', 'shop.orders', ...into);
    expect(nothing.code, nothing.stdout).toBe(0);
    const nothingReport = JSON.parse(nothing.stdout) as { changed: boolean; namespaces: { warnings: string[] }[] };
    expect(nothingReport.changed).toBe(false);
    expect(nothingReport.namespaces[0]?.warnings.join(' ')).toMatch(/no document of shop\.orders is in the .* scope/);
    const nothingHuman = await runRewind(['restore', '--archive', archive.root, '--job-dir', jobDir, '--filter', '{"status": "no-such-status"}', '--ns', 'shop.orders', ...into]);
    expect(nothingHuman.stdout).toContain('nothing changed');
    expect(await client.db(db).listCollections().toArray()).toEqual([]);

    // into-empty into a non-empty collection.
    await client.db(db).collection('people').insertOne({ _id: 'someone' } as Document);
    const notEmpty = await restore(...into);
    expect(errorOf(notEmpty).code).toBe('TARGET_NOT_EMPTY');
    expect(await client.db(db).collection('orders').countDocuments()).toBe(0);

    // Without --json: the code and message on stderr, exit 1.
    const human = await runRewind(['restore', '--archive', archive.root, '--ns', 'shop.nope', ...into]);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/^rewind restore: UNKNOWN_NAMESPACE: /m);
  });

  it('refuses a target inside a gap and a corrupt archive file, naming them', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'rewind-damaged-archive-'));
    try {
      await cp(archive.root, copy, { recursive: true });
      const db = uniqueDatabase('damaged');
      const into = ['--target', server.uri, '--ns-from', 'shop.*', '--ns-to', `${db}.*`];
      await new CatalogStore(copy).update((c) => {
        c.gaps.push({ from: '1767100003.1.0', to: '1767100003.4.0', reason: 'change stream history lost (test)', recordedAt: new Date().toISOString() });
      });
      const inGap = await runRewind(['restore', '--archive', copy, '--job-dir', jobDir, '--json', '--to-position', '1767100003.2', ...into]);
      expect(errorOf(inGap).code).toBe('IN_GAP');
      expect(errorOf(inGap).message).toMatch(/1767100003\.1\.0.*change stream history lost/);

      // Flip one byte in the middle of a segment file.
      const segments = (await readdir(join(copy, 'segments'), { recursive: true })).filter((f) => f.endsWith('.avro'));
      const victim = join(copy, 'segments', segments.sort().at(-1) as string);
      const fh = await open(victim, 'r+');
      const { size } = await fh.stat();
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, Math.floor(size / 2));
      b[0] = (b[0] as number) ^ 0xff;
      await fh.write(b, 0, 1, Math.floor(size / 2));
      await fh.close();
      const corrupt = await runRewind(['restore', '--archive', copy, '--job-dir', jobDir, '--json', ...into]);
      expect(corrupt.code).not.toBe(0);
      // The archive's own code: the file fails its checksum (no vaguer ARCHIVE_UNREADABLE in between).
      expect(errorOf(corrupt)).toMatchObject({ code: 'ARCHIVE_CHECKSUM_MISMATCH', retryable: false });
      expect(errorOf(corrupt).message).toContain(victim);
      expect(await client.db(db).listCollections().toArray()).toEqual([]);

      const missingArchive = await runRewind(['restore', '--archive', join(copy, 'nope'), '--json', ...into]);
      expect(errorOf(missingArchive).code).toBe('CATALOG_NOT_FOUND');
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});

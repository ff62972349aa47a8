/**
 * `rewind backup`: a named on-demand snapshot, folded up to the durable
 * point, listed by `rewind catalog`, restorable by `restore --at-snapshot`
 * after more history was archived; refused clearly (and nothing written)
 * while another process holds the archive's writer lock, for a taken or bad
 * name, and for an unknown snapshot name on restore.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Document } from 'bson';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Int32, serialize } from '../../../contracts/bson.js';
import { backupResultSchema } from '../../../contracts/backup-result.js';
import { position } from '../../../contracts/index.js';
import { CatalogStore } from '../../../services/archive/index.js';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';
import { errorOf, runRewind } from '../restore/cli-runner.js';
import { RawEvents } from '../restore/raw-events.js';
import { TestArchive } from '../restore/test-archive.js';

const item = (i: number, state = 'new'): Document => ({ _id: new Int32(i), state });
const bytes = (docs: Document[]) => docs.map((d) => Buffer.from(serialize(d))).sort((a, b) => Buffer.compare(a, b));

describeWith('wire', 'rewind backup: named on-demand snapshots', (server) => {
  let client: MongoClient;
  let archive: TestArchive;
  let jobDir: string;
  const raw = new RawEvents(1_767_300_000, 'inv');
  const atBackup: Document[] = [];

  const snapshotFiles = async () => (await readdir(join(archive.root, 'snapshots'), { recursive: true })).sort();
  const readRaw = async (db: string) => {
    const out: Buffer[] = [];
    for await (const d of client.db(db).collection('items').find({}, { raw: true })) out.push(Buffer.from(d as unknown as Uint8Array));
    return out.sort((a, b) => Buffer.compare(a, b));
  };

  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    jobDir = await mkdtemp(join(tmpdir(), 'rewind-backup-jobs-'));
    archive = await TestArchive.create();
    const model = new Map<number, Document>();
    for (let i = 1; i <= 10; i++) model.set(i, item(i));
    await archive.initialSnapshot(position(1_767_300_000, 0, 0), new Map([['inv.items', [...model.values()]]]));
    for (let i = 1; i <= 3; i++) {
      archive.add(raw.one(raw.set('items', new Int32(i), { state: 'sold' })));
      model.set(i, item(i, 'sold'));
    }
    archive.add(raw.one(raw.insert('items', item(11))));
    model.set(11, item(11));
    archive.add(raw.one(raw.delete('items', new Int32(10))));
    model.delete(10);
    await archive.flush();
    atBackup.push(...model.values());
  });

  afterAll(async () => {
    await client?.close();
    await archive?.remove();
    await rm(jobDir, { recursive: true, force: true });
  });

  it('is refused while another process holds the writer lock, naming it, and writes nothing', async () => {
    const holder = new CatalogStore(archive.root);
    await holder.acquire();
    try {
      const before = await archive.catalog();
      const files = await snapshotFiles();
      const run = await runRewind(['backup', '--archive', archive.root, '--name', 'while-locked']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^rewind backup: ARCHIVE_BUSY: another rewind process \(pid \d+ on .+\) holds the writer lock of .+, so nothing was written: a running capture/);
      expect(run.stderr).toContain(`pid ${process.pid}`);
      expect((await archive.catalog()).generation).toBe(before.generation);
      expect(await snapshotFiles()).toEqual(files);
    } finally {
      await holder.release();
    }
  });

  it('makes a named snapshot at the durable point, listed by catalog', async () => {
    const run = await runRewind(['backup', '--archive', archive.root, '--name', 'before-migration', '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const result = backupResultSchema.parse(JSON.parse(run.stdout));
    const catalog = await archive.catalog();
    expect(result).toMatchObject({ name: 'before-migration', eventsFolded: 5, namespaces: 1, documents: 10, restoreWith: ['restore', '--archive', archive.root, '--at-snapshot', 'before-migration'] });
    expect(result.position.split('.').slice(0, 2)).toEqual((catalog.durable ?? '').split('.').slice(0, 2));
    const entry = catalog.snapshots.find((s) => s.name === 'before-migration');
    expect(entry?.id).toBe(result.snapshot);
    expect(entry?.kind).toBe('compaction');
    const listed = await runRewind(['catalog', '--archive', archive.root, '--json']);
    expect((JSON.parse(listed.stdout) as { snapshots: { id: string; name?: string }[] }).snapshots.find((s) => s.id === result.snapshot)?.name).toBe('before-migration');
    const human = await runRewind(['catalog', '--archive', archive.root]);
    expect(human.stdout).toContain(`${result.snapshot}  "before-migration"  compaction`);
  });

  it('restores by name after more history was archived', async () => {
    archive.add(raw.one(raw.set('items', new Int32(5), { state: 'sold' })));
    archive.add(raw.one(raw.insert('items', item(12))));
    await archive.flush();
    const db = uniqueDatabase('backup');
    const run = await runRewind(['restore', '--archive', archive.root, '--at-snapshot', 'before-migration', '--target-uri', server.uri, '--ns-from', 'inv.*', '--ns-to', `${db}.*`, '--job-dir', jobDir, '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await readRaw(db)).toEqual(bytes(atBackup));
    // The latest state is another one: the snapshot is a point, not "latest".
    const latestDb = uniqueDatabase('backup-latest');
    const latest = await runRewind(['restore', '--archive', archive.root, '--target-uri', server.uri, '--ns-from', 'inv.*', '--ns-to', `${latestDb}.*`, '--job-dir', jobDir, '--json']);
    expect(latest.code).toBe(0);
    expect((await readRaw(latestDb)).length).toBe(atBackup.length + 1);
    await client.db(db).dropDatabase();
    await client.db(latestDb).dropDatabase();
  });

  it('refuses a taken name, a bad name and an unknown snapshot, before writing anything', async () => {
    const generation = (await archive.catalog()).generation;
    const taken = await runRewind(['backup', '--archive', archive.root, '--name', 'before-migration']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^rewind backup: SNAPSHOT_NAME_TAKEN: a snapshot is already named "before-migration"/);
    const bad = await runRewind(['backup', '--archive', archive.root, '--name', '../x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^rewind backup: BAD_OPTIONS: --name "..\/x" is not a snapshot name/);
    expect((await archive.catalog()).generation).toBe(generation);
    const unknown = await runRewind(['restore', '--archive', archive.root, '--at-snapshot', 'nope', '--target-uri', server.uri, '--ns-to', 'x.*', '--ns-from', 'inv.*', '--job-dir', jobDir, '--json']);
    expect(unknown.code).toBe(1);
    expect(errorOf(unknown)).toMatchObject({ code: 'UNKNOWN_SNAPSHOT', message: expect.stringContaining('named: before-migration') as unknown });
  });

  it('takes a default name, and a second backup of the same point is its own snapshot', async () => {
    const run = await runRewind(['backup', '--archive', archive.root, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = backupResultSchema.parse(JSON.parse(run.stdout));
    expect(result.name).toMatch(/^backup-\d{8}T\d{6}Z$/);
    expect(result.eventsFolded).toBe(2);
    const again = backupResultSchema.parse(JSON.parse((await runRewind(['backup', '--archive', archive.root, '--name', 'again', '--json'])).stdout));
    expect(again.position).toBe(result.position);
    expect(again.eventsFolded).toBe(0);
    expect(again.snapshot).not.toBe(result.snapshot);
  });
});

/**
 * Every refusal before the first write: problems met only while documents
 * stream (a snapshot block that does not decode behind a matching checksum,
 * events that contradict the snapshot they start from) refuse the whole
 * restore before anything is written, and a dry run refuses the same. A
 * target that fails after the first write gets an error saying what was
 * written, and the job resumes from there.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Int32, serialize } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { position } from '../../../contracts/index.js';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';
import { errorOf, runRewind } from './cli-runner.js';
import { RawEvents } from './raw-events.js';
import { TestArchive } from './test-archive.js';

const T0 = 1_767_200_000;
const docs = (n: number, tag: string): Document[] => Array.from({ length: n }, (_, i) => ({ _id: new Int32(i + 1), tag, n: new Int32(i) }));

describeWith('wire', 'restore refuses before the first write', (server) => {
  let client: MongoClient;
  let jobDir: string;
  const archives: TestArchive[] = [];
  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    jobDir = await mkdtemp(join(tmpdir(), 'rewind-refuse-jobs-'));
  });
  afterAll(async () => {
    await client?.close();
    for (const a of archives) await a.remove();
    await rm(jobDir, { recursive: true, force: true });
  });

  const archiveOf = async (byNs: Map<string, Document[]>) => {
    const archive = await TestArchive.create();
    archives.push(archive);
    await archive.initialSnapshot(position(T0, 0, 0), byNs);
    return archive;
  };
  const restore = (archive: TestArchive, db: string, ...args: string[]) =>
    runRewind(['restore', '--archive', archive.root, '--job-dir', jobDir, '--json', '--target', server.uri, '--ns-from', 'shop.*', '--ns-to', `${db}.*`, ...args]);
  const collectionsOf = async (db: string) => (await client.db(db).listCollections().toArray()).map((c) => c.name).sort();

  it('a snapshot block that does not decode behind a matching checksum: nothing written, the dry run refuses the same', async () => {
    const archive = await archiveOf(new Map([['shop.a', docs(50, 'a')], ['shop.b', docs(50, 'b')]]));
    // Damage the compressed data of shop.b's only block, then give the catalog the damaged file's checksum.
    const catalog = await archive.catalog();
    const ref = catalog.snapshots[0]?.namespaces.find((n) => n.ns === 'shop.b')?.files[0];
    if (!ref) throw new Error('no snapshot file for shop.b');
    const file = archive.store.locate(ref.path);
    const bytes = await readFile(file);
    for (let i = bytes.length - 40; i < bytes.length - 24; i++) bytes[i] = (bytes[i] as number) ^ 0x5a;
    await writeFile(file, bytes);
    await archive.catalogs.update((c) => {
      const entry = c.snapshots[0]?.namespaces.find((n) => n.ns === 'shop.b')?.files[0];
      if (entry) entry.sha256 = createHash('sha256').update(bytes).digest('hex');
    });
    const db = uniqueDatabase('undecodable');
    for (const dry of [[], ['--dry-run']]) {
      const run = await restore(archive, db, ...dry);
      expect(run.code, run.stdout).toBe(1);
      expect(errorOf(run).code).toBe('ARCHIVE_DECODE_FAILED');
      expect(errorOf(run).message).toContain(file);
    }
    // shop.a sorts first and was written before the check pass existed.
    expect(await collectionsOf(db)).toEqual([]);
  });

  it('events that contradict the snapshot they start from (an update of a document it lacks): nothing written', async () => {
    const archive = await archiveOf(new Map([['shop.a', docs(30, 'a')], ['shop.b', docs(30, 'b')]]));
    const raw = new RawEvents(T0 + 1, 'shop');
    archive.add(raw.one(raw.set('a', new Int32(3), { tag: 'a2' })));
    archive.add(raw.one(raw.set('b', new Int32(999), { tag: 'ghost' })));
    await archive.flush();
    const db = uniqueDatabase('contradiction');
    for (const dry of [['--dry-run'], []]) {
      const run = await restore(archive, db, ...dry);
      expect(run.code, run.stdout).toBe(1);
      // Replay meets an update whose prior state the archive does not hold: history it lacks, refused as a gap.
      expect(errorOf(run).code).toBe('IN_GAP');
      expect(errorOf(run).message).toMatch(/shop\.b: update .* meets a document whose prior state is unknown/);
    }
    expect(await collectionsOf(db)).toEqual([]);
  });

  it('a target that fails after the first write: the error says what was acknowledged, and the job resumes to the exact end', async () => {
    // The target holds a unique index the archive's documents violate (document 31 repeats document 5's u):
    // a real refusal by the server, in the fourth batch, after three were written.
    const atT = Array.from({ length: 40 }, (_, i) => ({ _id: new Int32(i + 1), u: new Int32(i === 30 ? 4 : i), tag: 'p' }));
    const archive = await archiveOf(new Map([['shop.p', atT]]));
    const db = uniqueDatabase('target-fails');
    await client.db(db).collection('p').createIndex({ u: 1 }, { unique: true, name: 'u_unique' });
    const args = ['--job', 'fails-1', '--batch-size', '10'];
    const run = await restore(archive, db, ...args);
    expect(run.code, run.stdout).toBe(1);
    const err = errorOf(run) as { code: string; message: string; retryable: boolean; context: { jobId: string; written: Record<string, { inserted: number }> } };
    expect(err.code).toBe('TARGET_FAILED');
    expect(err.message).toMatch(new RegExp(`acknowledged writes: shop\\.p → ${db}\\.p: 30 inserted`));
    expect(err.message).toContain('run the same command with --job fails-1 to resume');
    expect(err.context).toMatchObject({ jobId: 'fails-1', written: { 'shop.p': { inserted: 30 } } });
    expect(await client.db(db).collection('p').countDocuments()).toBeGreaterThanOrEqual(30);
    // The operator removes the conflicting index; the same command resumes and ends exact.
    await client.db(db).collection('p').dropIndex('u_unique');
    const resumed = await restore(archive, db, ...args);
    expect(resumed.code, resumed.stdout).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed: true, totals: { inserted: 40 } });
    const got: Buffer[] = [];
    for await (const d of client.db(db).collection('p').find({}, { raw: true, sort: { _id: 1 } })) got.push(Buffer.from(d as unknown as Uint8Array));
    expect(got).toEqual(atT.map((d) => Buffer.from(serialize(d))));
  });
});

/**
 * Restore's writers through the real driver against the wire server: modes,
 * dry-run, scope, refusals, metadata, resume. The state at T comes from memory
 * here (the archive side is covered by the differential suite).
 *
 * Byte-identical assertions: inserts into a fresh collection hold on every
 * server. Replacing an existing document keeps the *old* field order on the
 * stand-in (TEST-INFRA.md), so replaced documents here keep their field order
 * and only change values: then the assertion holds on the stand-in and mongod.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, deserialize, serialize } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';
import type { RestoreError } from '../../../services/restore/errors.js';
import { parseFilter } from '../../../services/restore/filter.js';
import { keyFromText, keyToJson } from '../../../services/restore/document-keys.js';
import { runRestore } from '../../../services/restore/restore-job.js';
import type { RestoreJobOptions } from '../../../services/restore/restore-job.js';
import { memoryState } from './memory-state.js';

function docs(n: number, tag = 'v1'): Document[] {
  return Array.from({ length: n }, (_, i) => ({
    _id: i % 3 === 0 ? new Int32(i) : i % 3 === 1 ? `k${String(i).padStart(4, '0')}` : new ObjectId(i.toString(16).padStart(24, '0')),
    tag,
    n: new Int32(i),
    d: new Double(i / 2),
    l: Long.fromNumber(i * 1_000_000_000),
    dec: Decimal128.fromString(`${i}.10`),
    bin: new Binary(Buffer.from([i & 255, 1, 2])),
    ts: new Timestamp({ t: i, i: 1 }),
    when: new Date(1_700_000_000_000 + i),
    nested: { a: [new Int32(i), 'x', { b: null }] },
  }));
}

async function rawDocs(client: MongoClient, ns: string): Promise<Buffer[]> {
  const [db, ...rest] = ns.split('.');
  const out: Buffer[] = [];
  for await (const raw of client.db(db).collection(rest.join('.')).find({}, { sort: { _id: 1 }, raw: true, batchSize: 100 })) {
    out.push(Buffer.from(raw as unknown as Uint8Array));
  }
  return out;
}

const byBytes = (x: Uint8Array, y: Uint8Array) => Buffer.compare(x, y);
const sortedBytes = (list: Document[]) => list.map((d) => serialize(d)).sort(byBytes);
const codeOf = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: RestoreError) => e.code);

describeWith('wire', 'restore writers through the driver', (server) => {
  let client: MongoClient;
  let jobDir: string;
  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    jobDir = await mkdtemp(join(tmpdir(), 'rewind-restore-jobs-'));
  });
  afterAll(async () => {
    await client.close();
    await rm(jobDir, { recursive: true, force: true });
  });

  const base = (o: Partial<RestoreJobOptions> & Pick<RestoreJobOptions, 'state'>): RestoreJobOptions => ({
    client,
    inPlace: false,
    confirmSource: false,
    mode: 'into-empty',
    dryRun: false,
    namespaces: [],
    mappings: [],
    jobDir,
    batchSize: 7,
    ...o,
  });

  it('into-empty restores every document byte for byte, across namespaces, and recreates indexes', async () => {
    const db = uniqueDatabase('into-empty');
    const a = docs(40);
    const b = docs(5, 'other');
    const state = memoryState(
      { [`${db}.a`]: a, [`${db}.b`]: b },
      { metadata: { [`${db}.a`]: { ns: `${db}.a`, options: {}, indexes: [{ v: { $numberInt: '2' }, key: { _id: { $numberInt: '1' } }, name: '_id_' }, { v: { $numberInt: '2' }, key: { tag: { $numberInt: '1' }, n: { $numberInt: '-1' } }, name: 'tag_n', unique: true }] } } },
    );
    const report = await runRestore(base({ state, parallel: 2 }));
    expect(report.totals).toMatchObject({ inserted: 45, replaced: 0, deleted: 0 });
    expect((await rawDocs(client, `${db}.a`)).sort(byBytes)).toEqual(sortedBytes(a));
    expect((await rawDocs(client, `${db}.b`)).sort(byBytes)).toEqual(sortedBytes(b));
    const indexes = await client.db(db).collection('a').listIndexes().toArray();
    expect(indexes.find((i) => (i as { name?: string }).name === 'tag_n')).toMatchObject({ key: { tag: 1, n: -1 }, unique: true });
  });

  it('into-empty refuses a non-empty target before writing anything', async () => {
    const db = uniqueDatabase('not-empty');
    await client.db(db).collection('b').insertOne({ _id: 'someone-else' } as Document);
    const state = memoryState({ [`${db}.a`]: docs(3), [`${db}.b`]: docs(3) });
    expect(await codeOf(runRestore(base({ state })))).toBe('TARGET_NOT_EMPTY');
    expect(await client.db(db).collection('a').countDocuments()).toBe(0);
    expect(await client.db(db).collection('b').countDocuments()).toBe(1);
  });

  it('overwrite ends equal to the state at T: inserts, replaces, deletes, leaves identical ones', async () => {
    const db = uniqueDatabase('overwrite');
    const atT = docs(20);
    // Target: lost 0-4, changed 5-9 (same fields, other values), identical 10-19, extra documents.
    const live = [...docs(20, 'changed').slice(5, 10), ...atT.slice(10), { _id: 'extra-1', tag: 'x' }, { _id: new Int32(999), tag: 'y' }];
    await client.db(db).collection('c').insertMany(live);
    const state = memoryState({ [`${db}.c`]: atT });
    const dry = await runRestore(base({ state, mode: 'overwrite', dryRun: true, sampleSize: 3 }));
    expect(dry.totals).toEqual({ inserted: 5, replaced: 5, deleted: 2, unchanged: 10, kept: 0 });
    expect(dry.namespaces[0]?.samples.delete).toHaveLength(2);
    expect(dry.namespaces[0]?.samples.insert).toHaveLength(3);
    expect(await client.db(db).collection('c').countDocuments()).toBe(live.length); // dry-run wrote nothing
    const report = await runRestore(base({ state, mode: 'overwrite' }));
    expect(report.totals).toEqual(dry.totals);
    expect((await rawDocs(client, `${db}.c`)).sort(byBytes)).toEqual(sortedBytes(atT));
  });

  it('missing-only inserts absent documents and never touches existing ones', async () => {
    const db = uniqueDatabase('missing-only');
    const atT = docs(12);
    const changed = docs(12, 'live-version').slice(0, 6);
    await client.db(db).collection('m').insertMany(changed);
    const before = await rawDocs(client, `${db}.m`);
    const state = memoryState({ [`${db}.m`]: atT });
    const report = await runRestore(base({ state, mode: 'missing-only' }));
    expect(report.totals).toEqual({ inserted: 6, replaced: 0, deleted: 0, unchanged: 0, kept: 6 });
    const after = await rawDocs(client, `${db}.m`);
    for (const b of before) expect(after.some((x) => x.equals(b))).toBe(true);
    expect(after.sort(byBytes)).toEqual([...before, ...sortedBytes(atT.slice(6))].sort(byBytes));
  });

  it('scopes by --filter, --id and namespace mapping', async () => {
    const db = uniqueDatabase('scope');
    const atT = docs(30);
    const state = memoryState({ [`${db}.s`]: atT, [`${db}.t`]: docs(3) });
    const filtered = await runRestore(base({ state, namespaces: [`${db}.s`], filter: parseFilter('{"n": {"$gte": 10, "$lt": 20}}'), mappings: [{ from: `${db}.*`, to: `${db}.copy_*` }] }));
    expect(filtered.namespaces.map((n) => n.target)).toEqual([`${db}.copy_s`]);
    expect(filtered.totals.inserted).toBe(10);
    expect(await client.db(db).collection('copy_s').countDocuments({ n: { $gte: 10, $lt: 20 } })).toBe(10);
    expect(await client.db(db).collection('s').countDocuments()).toBe(0);

    const one = await runRestore(base({ state, namespaces: [`${db}.s`], ids: [keyFromText('"k0004"'), keyFromText('{"$numberInt":"3"}')] }));
    expect(one.totals.inserted).toBe(2);
    expect((await rawDocs(client, `${db}.s`)).sort(byBytes)).toEqual(sortedBytes([atT[3] as Document, atT[4] as Document]));
  });

  it('refuses to write into the source without confirmation, and unknown namespaces', async () => {
    const db = uniqueDatabase('in-place');
    const state = memoryState({ [`${db}.p`]: docs(3) });
    expect(await codeOf(runRestore(base({ state, inPlace: true })))).toBe('CONFIRMATION_REQUIRED');
    expect(await codeOf(runRestore(base({ state, namespaces: [`${db}.nope`] })))).toBe('UNKNOWN_NAMESPACE');
    expect(await client.db(db).collection('p').countDocuments()).toBe(0);
    // A mapping away from the captured namespaces needs no confirmation; confirming allows in place.
    await runRestore(base({ state, inPlace: true, mappings: [{ from: `${db}.p`, to: `${db}.p_restored` }] }));
    await runRestore(base({ state, inPlace: true, confirmSource: true }));
    expect(await client.db(db).collection('p').countDocuments()).toBe(3);
    expect(await client.db(db).collection('p_restored').countDocuments()).toBe(3);
  });

  it('resumes a job from its state file and ends with the same result', async () => {
    const db = uniqueDatabase('resume');
    const atT = docs(50);
    const state = memoryState({ [`${db}.r`]: atT });
    // A run that dies after some batches: the archive stream of the write pass fails midway
    // (the check pass before it reads the whole stream: a stream that fails there writes nothing).
    let passes = 0;
    const failing = {
      ...state,
      namespace: (ns: string) => {
        const inner = state.namespace(ns);
        return {
          ...inner,
          records: async function* () {
            const pass = ++passes;
            let i = 0;
            for await (const r of inner.records()) {
              if (pass > 1 && ++i > 23) throw new Error('killed');
              yield r;
            }
          },
        };
      },
    };
    await expect(runRestore(base({ state: failing, jobId: 'resume-1' }))).rejects.toThrow('killed');
    const partial = await client.db(db).collection('r').countDocuments();
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(50);
    const saved = JSON.parse(await readFile(join(jobDir, 'resume-1.json'), 'utf8')) as { status: string };
    expect(saved.status).toBe('running');
    const resumed = await runRestore(base({ state, jobId: 'resume-1' }));
    expect(resumed.resumed).toBe(true);
    expect(resumed.totals.inserted).toBe(50);
    expect((await rawDocs(client, `${db}.r`)).sort(byBytes)).toEqual(sortedBytes(atT));
    // Same job id with other parameters is refused.
    expect(await codeOf(runRestore(base({ state, jobId: 'resume-1', mode: 'overwrite' })))).toBe('JOB_MISMATCH');
  });
  it('into-empty resumed over a batch that was written but not recorded ends exact (duplicates rewritten)', async () => {
    const db = uniqueDatabase('dup-resume');
    const atT = docs(30);
    const state = memoryState({ [`${db}.d`]: atT });
    await runRestore(base({ state, jobId: 'dup-1' }));
    // As if the job died after the server acknowledged documents past the recorded key,
    // and one of them was changed meanwhile (same fields, so the check holds on the stand-in too).
    const file = join(jobDir, 'dup-1.json');
    const saved = JSON.parse(await readFile(file, 'utf8')) as { status: string; namespaces: Record<string, { done: boolean; lastKey: unknown; counts: { inserted: number } }> };
    const sorted = state.namespace(`${db}.d`);
    const keys: Uint8Array[] = [];
    for await (const r of sorted.records()) keys.push(r.key);
    saved.status = 'running';
    const progress = saved.namespaces[`${db}.d`] as { done: boolean; lastKey: unknown; counts: { inserted: number } };
    progress.done = false;
    progress.lastKey = keyToJson(keys[9] as Uint8Array);
    progress.counts.inserted = 10;
    await writeFile(file, JSON.stringify(saved));
    // The 16th document in key order: after the recorded key, so the resumed run meets it.
    const changedId = (deserialize(keys[15] as Uint8Array) as { _id: unknown })._id;
    const changed = await client.db(db).collection('d').updateOne({ _id: changedId } as Document, { $set: { tag: 'changed-meanwhile' } });
    expect(changed.modifiedCount).toBe(1);
    const resumed = await runRestore(base({ state, jobId: 'dup-1' }));
    expect(resumed.resumed).toBe(true);
    expect(resumed.totals.inserted).toBe(30);
    expect((await rawDocs(client, `${db}.d`)).sort(byBytes)).toEqual(sortedBytes(atT));
  });
});

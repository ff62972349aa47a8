/**
 * A restore killed with SIGKILL midway (a child `rewind restore` process, bin/rewind.mjs) and
 * resumed with the same job id ends byte-identical to an uninterrupted one,
 * with exact counts: the job state records, after each acknowledged batch,
 * the last key written, and re-writing the batch in flight is harmless.
 *
 * Valid on every server: the resumed run re-writes at most the batch in
 * flight with identical content over identical documents, and everything is
 * compared as raw bytes of documents inserted into a fresh database.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Int32, serialize } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { position } from '../../../contracts/index.js';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';
import { runRewind } from './cli-runner.js';
import { RawEvents } from './raw-events.js';
import { TestArchive } from './test-archive.js';

const REWIND = fileURLToPath(new URL('../../../bin/rewind.mjs', import.meta.url));
const DOCS = 6000;
const byBytes = (x: Uint8Array, y: Uint8Array) => Buffer.compare(x, y);

describeWith('wire', 'restore killed with SIGKILL and resumed', (server) => {
  let client: MongoClient;
  let archive: TestArchive;
  let jobDir: string;
  const truth = new Map<number, Document>();

  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    jobDir = await mkdtemp(join(tmpdir(), 'rewind-kill-jobs-'));
    archive = await TestArchive.create();
    for (let i = 0; i < DOCS; i++) truth.set(i, { _id: new Int32(i), payload: 'x'.repeat(200), n: new Int32(i) });
    await archive.initialSnapshot(position(1_767_200_000, 0, 0), new Map([['shop.big', [...truth.values()]]]));
    const raw = new RawEvents(1_767_200_001, 'shop');
    for (let i = 0; i < DOCS; i += 500) {
      archive.add(raw.one(raw.set('big', new Int32(i), { n: new Int32(-i) })));
      truth.set(i, { ...(truth.get(i) as Document), n: new Int32(-i) });
    }
    await archive.flush();
  });

  afterAll(async () => {
    await client?.close();
    await archive?.remove();
    await rm(jobDir, { recursive: true, force: true });
  });

  it('resumes from the job state and ends identical', async () => {
    const db = uniqueDatabase('kill');
    const args = ['restore', '--archive', archive.root, '--job-dir', jobDir, '--job', 'kill-1', '--target', server.uri, '--ns-from', 'shop.*', '--ns-to', `${db}.*`, '--batch-size', '20', '--json'];
    const child = spawn(process.execPath, [REWIND, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const stateFile = join(jobDir, 'kill-1.json');
    let written = 0;
    for (let i = 0; i < 600 && written < 400; i++) {
      await sleep(25);
      try {
        const state = JSON.parse(await readFile(stateFile, 'utf8')) as { namespaces: Record<string, { counts: { inserted: number } }> };
        written = state.namespaces['shop.big']?.counts.inserted ?? 0;
      } catch {
        // not written yet, or caught between write and rename: try again
      }
    }
    child.kill('SIGKILL');
    const end = await exited;
    expect(end.signal, `the child must die by SIGKILL midway, not finish (${output})`).toBe('SIGKILL');
    const partial = await client.db(db).collection('big').countDocuments();
    expect(partial).toBeGreaterThanOrEqual(400);
    expect(partial).toBeLessThan(DOCS);

    const resumed = await runRewind(args.slice(0, -1).concat('--json'));
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout) as { resumed: boolean; totals: { inserted: number } };
    expect(report.resumed).toBe(true);
    expect(report.totals.inserted).toBe(DOCS);
    const got: Buffer[] = [];
    for await (const d of client.db(db).collection('big').find({}, { raw: true, batchSize: 1000 })) got.push(Buffer.from(d as unknown as Uint8Array));
    expect(got.sort(byBytes)).toEqual([...truth.values()].map((d) => Buffer.from(serialize(d))).sort(byBytes));

    // A finished job run again writes nothing more and reports the same counts.
    const again = await runRewind(args);
    expect((JSON.parse(again.stdout) as { totals: { inserted: number } }).totals.inserted).toBe(DOCS);
  });
});

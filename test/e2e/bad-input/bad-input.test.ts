/**
 * The bad-input suite (issue 14): every malformed command line, configuration
 * file and environment value of cases.ts gets a clear message, the exit code
 * the README documents, no stack trace, and changes nothing: the archive's
 * files and the target's databases hash the same before and after each case.
 *
 * Cases run in process through runCli (what a test can call without a child
 * process: the commands read the environment through CliIo.env), one after
 * another with hashes around each; a representative subset (`spawn`) runs
 * again as real processes of bin/rewind.mjs, a few at a time, for the exit
 * code and the absence of a stack trace as an operator sees them.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Int32 } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatPosition, position } from '../../../contracts/index.js';
import { DIFF_REPORT_KIND } from '../../../services/restore/diff.js';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';
import { runRewind } from '../restore/cli-runner.js';
import { RawEvents } from '../restore/raw-events.js';
import { TestArchive } from '../restore/test-archive.js';
import { CASES } from './cases.js';
import type { BadInput, World } from './cases.js';

const bin = fileURLToPath(new URL('../../../bin/rewind.mjs', import.meta.url));
const STACK = /^\s+at\s.+:\d+(:\d+)?\)?$/m;
const T0 = 1_767_500_000;
const SPAWN_AT_ONCE = 4;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function hashTree(root: string): Promise<string> {
  const h = createHash('sha256');
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
  for (const f of files) h.update(`${relative(root, f)}\0`).update(await readFile(f));
  // Folders too: an empty folder left in the archive is a change.
  for (const d of entries.filter((e) => e.isDirectory()).map((e) => relative(root, join(e.parentPath, e.name))).sort()) h.update(`dir ${d}\0`);
  return h.digest('hex');
}

async function hashDatabases(client: MongoClient, dbs: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const name of dbs) {
    const db = client.db(name);
    for (const c of (await db.listCollections({}, { nameOnly: true }).toArray()).map((x) => x.name).sort()) {
      h.update(`${name}.${c}\0`);
      for await (const d of db.collection(c).find({}, { raw: true, sort: { _id: 1 } })) h.update(d as unknown as Uint8Array);
      h.update(JSON.stringify(await db.collection(c).listIndexes().toArray()));
    }
  }
  return h.digest('hex');
}

const inProcess = (argv: string[], env: Record<string, string>): Promise<Outcome> => runRewind(argv, env);

function asProcess(argv: string[], env: Record<string, string>): Promise<Outcome> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REWIND_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...argv], { env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** What a case must show, in one place for both ways of running it. */
function check(c: BadInput, w: World, r: Outcome, json: boolean, how: string): void {
  const label = `${c.group}: ${c.name} (${how}${json ? ', --json' : ''})`;
  const text = `${r.stdout}${r.stderr}`;
  expect(r.code, `${label}: exit code; output ${text.slice(0, 600)}`).toBe(c.exit);
  expect(text, `${label}: no stack trace`).not.toMatch(STACK);
  const message = c.message(w);
  if (json) {
    let parsed: { error?: { code?: string; message?: string } };
    try {
      parsed = JSON.parse(r.stdout) as typeof parsed;
    } catch {
      throw new Error(`${label}: stdout is not one JSON error: ${r.stdout.slice(0, 300)} / ${r.stderr.slice(0, 300)}`);
    }
    if (c.code) expect(parsed.error?.code, label).toBe(c.code);
    expect(parsed.error?.message, label).toMatch(message);
  } else {
    const line = r.stderr.trim();
    expect(line, `${label}: the message`).toMatch(message);
    if (c.code) expect(line, `${label}: the code`).toContain(c.code);
    // One message, not a dump: a line or two (commander adds its help hint on a second line), besides
    // the deprecation notices of old spellings the cases still use.
    expect(line.split('\n').filter((l) => !/ is deprecated, use /.test(l)).length, `${label}: lines`).toBeLessThanOrEqual(3);
  }
}

describeWith('wire', 'bad input: a clear message, the documented exit code, no stack trace, nothing changed', (server) => {
  let client: MongoClient;
  let archive: TestArchive;
  let work: string;
  let w: World;
  const counts = { cases: 0, runs: 0, processes: 0, byGroup: new Map<string, number>(), byExit: new Map<number, number>() };

  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    work = await mkdtemp(join(tmpdir(), 'rewind-bad-input-'));
    const srcDb = uniqueDatabase('bad_src');
    const dstDb = uniqueDatabase('bad_dst');
    const order = (i: number): Document => ({ _id: new Int32(i), status: 'open', n: new Int32(i), tags: ['a', 'b'] });
    archive = await TestArchive.create('bad-input');
    await archive.initialSnapshot(position(T0, 0, 0), new Map([[`${srcDb}.orders`, Array.from({ length: 20 }, (_, i) => order(i + 1))], [`${srcDb}.people`, [{ _id: 'ann', age: new Int32(40) }]]]));
    const raw = new RawEvents(T0 + 1, srcDb);
    for (let i = 1; i <= 5; i++) archive.add(raw.one(raw.set('orders', new Int32(i), { status: 'paid' })));
    await archive.flush();
    await archive.compactTo(position(T0 + 1, 5, 0));
    // Lost history that a later snapshot closed: a target inside it is refused, the latest state is not.
    await archive.catalogs.update((c) => {
      c.gaps.push({ from: `${T0 + 1}.2.0`, to: `${T0 + 1}.4.0`, reason: 'change stream history lost (bad-input suite)', recordedAt: new Date().toISOString() });
    });
    archive.add(raw.one(raw.insert('orders', order(21))));
    const last = archive.add(raw.one(raw.insert('people', { _id: 'bob', age: new Int32(30) })))[0] as { seconds: number; increment: number };
    await archive.flush();
    const latest = formatPosition(position(last.seconds, last.increment, 0));
    // The live source under the captured names, and a non-empty destination for into-empty.
    for (let i = 1; i <= 5; i++) await client.db(srcDb).collection('orders').insertOne({ _id: new Int32(i), live: true } as Document);
    await client.db(dstDb).collection('orders').insertOne({ _id: new Int32(1), there: 'already' } as Document);

    const file = join(work, 'a-file');
    await writeFile(file, 'not a folder');
    const jobDir = join(work, 'jobs');
    const report = join(work, 'people-report.json');
    await writeFile(report, JSON.stringify({ kind: DIFF_REPORT_KIND, version: 1, ns: `${srcDb}.people`, at: latest, truncated: false, missing: ['ann'], unexpected: [], diverged: [] }));
    const badReports = {
      notJson: join(work, 'report-not-json.json'),
      wrongKind: join(work, 'report-wrong-kind.json'),
      badAt: join(work, 'report-bad-at.json'),
      badKey: join(work, 'report-bad-key.json'),
    };
    await writeFile(badReports.notJson, '{ "kind": ');
    await writeFile(badReports.wrongKind, JSON.stringify({ kind: 'something-else', version: 1 }));
    await writeFile(badReports.badAt, JSON.stringify({ kind: DIFF_REPORT_KIND, version: 1, ns: `${srcDb}.people`, at: 'noon', truncated: false, missing: [], unexpected: [], diverged: [] }));
    await writeFile(badReports.badKey, JSON.stringify({ kind: DIFF_REPORT_KIND, version: 1, ns: `${srcDb}.people`, at: latest, truncated: false, missing: [{ $oid: 'zz' }], unexpected: [], diverged: [] }));

    // Configuration files: each valid but for the one thing its case names.
    const good = { mongo: { uri: 'mongodb://127.0.0.1:1' }, archive: { dir: archive.root } };
    const configs: Record<string, unknown> = {
      notJson: '{ "mongo": ',
      array: '[1, 2]',
      null: 'null',
      unknownKey: { ...good, logLevell: 'debug' },
      nestedUnknown: { ...good, archive: { dir: archive.root, segmentMaxByte: 1 } },
      dirNumber: { ...good, archive: { dir: 42 } },
      dirEmpty: { ...good, archive: { dir: '' } },
      codec: { ...good, archive: { dir: archive.root, codec: 'zstd' } },
      batchZero: { ...good, mongo: { uri: 'mongodb://127.0.0.1:1', batchSize: 0 } },
      batchHuge: { ...good, mongo: { uri: 'mongodb://127.0.0.1:1', batchSize: 100_001 } },
      batchString: { ...good, mongo: { uri: 'mongodb://127.0.0.1:1', batchSize: '10' } },
      includeEmpty: { ...good, mongo: { uri: 'mongodb://127.0.0.1:1', include: [] } },
      excludeBlank: { ...good, mongo: { uri: 'mongodb://127.0.0.1:1', exclude: [''] } },
      uriAt: { ...good, mongo: { uri: 'mongodb://user:p@ss/w0rd@host' } },
      negativeSize: { ...good, archive: { dir: archive.root, segmentMaxBytes: -5 } },
      infiniteSize: '{ "mongo": { "uri": "mongodb://127.0.0.1:1" }, "archive": { "dir": ' + JSON.stringify(archive.root) + ', "segmentMaxBytes": 1e400 } }',
      zeroAge: { ...good, archive: { dir: archive.root, segmentMaxAgeMs: 0 } },
      compactZero: { ...good, compaction: { everyMs: '0ms' } },
      afterString: { ...good, compaction: { afterEvents: 'lots' } },
      tempMissing: { ...good, compaction: { tempDir: join(work, 'no-such-temp') } },
      tempInArchive: { ...good, compaction: { tempDir: archive.root } },
      retentionZero: { ...good, retention: { windowMs: '0d' } },
      memoryLots: { ...good, compactionMemoryBytes: 'lots' },
      sourceIdLong: { ...good, sourceId: 's'.repeat(101) },
      kafkaInUp: { ...good, kafka: { brokers: ['127.0.0.1:1'] } },
    };
    const configPaths: Record<string, string> = {};
    for (const [name, content] of Object.entries(configs)) {
      const path = join(work, `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.json`);
      await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
      configPaths[name] = path;
    }
    const { hostname: host, port } = new URL(server.uri.replace(/^mongodb:/, 'http:'));
    w = {
      archive: archive.root,
      srcDb,
      dstDb,
      uri: server.uri,
      host,
      port,
      work,
      file,
      jobDir,
      report,
      badReports,
      configs: configPaths,
      earliest: formatPosition(position(T0, 0, 0)),
      latest,
      inGap: `${T0 + 1}.3`,
    };
  }, 120_000);

  afterAll(async () => {
    const groups = [...counts.byGroup].map(([g, n]) => `${g} ${n}`).join(', ');
    const exits = [...counts.byExit].sort(([a], [b]) => a - b).map(([e, n]) => `exit ${e}: ${n}`).join(', ');
    console.log(`bad input: ${counts.cases} cases (${groups}); ${counts.runs} runs in process (with --json where the command has it), ${counts.processes} as real processes; ${exits}; archive and target hashes unchanged after every run`);
    await client?.db(w.srcDb).dropDatabase().catch(() => undefined);
    await client?.db(w.dstDb).dropDatabase().catch(() => undefined);
    await client?.close();
    await archive?.remove();
    await rm(work, { recursive: true, force: true });
  });

  it(`has at least 150 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(150);
    const names = CASES.map((c) => `${c.group}: ${c.name}`);
    expect(new Set(names).size, 'case names are unique').toBe(names.length);
  });

  it('in process: each case, with hashes of the archive and the target around it', async () => {
    const dbs = [w.srcDb, w.dstDb];
    const archiveHash = await hashTree(w.archive);
    const targetHash = await hashDatabases(client, dbs);
    // Every case runs; the failures are reported together.
    const failures: string[] = [];
    for (const c of CASES) {
      const env = c.env?.(w) ?? {};
      for (const json of c.json ? [false, true] : [false]) {
        const r = await inProcess([...c.argv(w), ...(json ? ['--json'] : [])], env);
        try {
          check(c, w, r, json, 'in process');
        } catch (err) {
          failures.push((err as Error).message.split('\n')[0] ?? '');
        }
        expect(await hashTree(w.archive), `${c.group}: ${c.name}: the archive changed`).toBe(archiveHash);
        expect(await hashDatabases(client, dbs), `${c.group}: ${c.name}: the target changed`).toBe(targetHash);
        counts.runs++;
      }
      counts.cases++;
      counts.byGroup.set(c.group, (counts.byGroup.get(c.group) ?? 0) + 1);
      counts.byExit.set(c.exit, (counts.byExit.get(c.exit) ?? 0) + 1);
    }
    expect(failures, failures.join('\n')).toEqual([]);
    // Nothing the cases did was left in the scratch folder either (no job state, no run folders).
    expect((await readdir(w.work)).filter((n) => n.startsWith('rewind-runs-') || n === 'jobs')).toEqual([]);
  }, 120_000);

  it('as real processes: the representative subset, a few at a time', async () => {
    const subset = CASES.filter((c) => c.spawn);
    expect(subset.length).toBeGreaterThanOrEqual(20);
    const archiveHash = await hashTree(w.archive);
    const targetHash = await hashDatabases(client, [w.srcDb, w.dstDb]);
    for (let i = 0; i < subset.length; i += SPAWN_AT_ONCE) {
      const batch = subset.slice(i, i + SPAWN_AT_ONCE);
      const outcomes = await Promise.all(batch.map((c) => asProcess([...c.argv(w), ...(c.json ? ['--json'] : [])], c.env?.(w) ?? {})));
      batch.forEach((c, j) => check(c, w, outcomes[j] ?? { code: -1, stdout: '', stderr: 'no outcome' }, c.json === true, 'process'));
      counts.processes += batch.length;
    }
    expect(await hashTree(w.archive)).toBe(archiveHash);
    expect(await hashDatabases(client, [w.srcDb, w.dstDb])).toBe(targetHash);
  }, 180_000);
});

/**
 * Faults at scale (`npm run test:faults`): `rewind collect` and `rewind
 * archive` capture a steady write load through a real Kafka broker of the
 * suite's own, while the suite
 *   - SIGKILLs collect, archive and `rewind restore` processes at random
 *     moments (at least 100 kills in all) and starts them again at once,
 *   - restarts the broker twice during capture (an orderly stop, then a
 *     SIGKILL),
 *   - runs the archive's disk out of space during a compaction and during
 *     archiving (a small tmpfs it mounts itself; skipped with the reason
 *     where it cannot mount one),
 * and afterwards checks that every event is in the archive exactly once, in
 * order, and that every restore (each one killed and resumed) is
 * byte-identical to the workload's true state at its position. It prints
 * one line `fault suite counts: {json}` with what it did and found.
 *
 * The source is the random workload of the differential suites (raw change
 * events in the corpus's shapes) released over wall-clock time by the
 * recorded change source inside each collect child (capture-child.ts): this
 * machine has no mongod. Restores write into the MongoDB wire stand-in,
 * fresh databases only, compared as raw bytes.
 *
 * REWIND_FAULT_SEED repeats a run's workload and kill intervals (timings
 * still differ); REWIND_FAULT_KILL_MS sets the length of the kill phase.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparePositions, parsePosition } from '../../../contracts/index.js';
import type { Catalog, Position } from '../../../contracts/index.js';
import { CatalogStore, FsBlobStore, isArchiveError, readSegment } from '../../../services/archive/index.js';
import { mongoClient, mongoWire, uniqueDatabase, uniqueTopic } from '../../harness/index.js';
import { loadInstallState } from '../../harness/install-manifest.js';
import { startLocalKafka } from '../../harness/local-kafka.js';
import type { RunningLocalKafka } from '../../harness/local-kafka.js';
import { skipReason } from '../../harness/servers.js';
import type { ChildSettings } from '../capture/capture-child.js';
import { buildFaultWorkload, eventId } from './fault-workload.js';
import type { Checkpoint, FaultWorkloadSpec } from './fault-workload.js';
import { restoreUnderKills } from './restore-under-kills.js';
import { makeSmallFilesystem } from '../../harness/small-filesystem.js';
import type { MountedFilesystem } from '../../harness/small-filesystem.js';
import { SupervisedProcess } from './supervised-process.js';
import type { Exit } from './supervised-process.js';

const CHILD = fileURLToPath(new URL('../capture/capture-child.ts', import.meta.url));
const REWIND = fileURLToPath(new URL('../../../bin/rewind.mjs', import.meta.url));

const SEED = Number(process.env.REWIND_FAULT_SEED ?? Date.now() % 1_000_000);
const KILL_PHASE_MS = Number(process.env.REWIND_FAULT_KILL_MS ?? 180_000);
/** Events released per millisecond once the stream starts. */
const RATE_PER_MS = 0.12;
/** The stream outlasts the kill phase by the time the two disk-full phases take (and a kill phase that ran long). */
const STREAM_MS = KILL_PHASE_MS + 100_000;
const SPEC: FaultWorkloadSpec = {
  seed: SEED,
  // The workload averages about 1.7 events per operation.
  groups: Math.round((RATE_PER_MS * STREAM_MS) / 1.7),
  startSeconds: 1_768_000_000,
  perCollection: 300,
  blobs: 1500,
  blobBytes: 1024,
};
const CHECKPOINT_EVERY = 300;
/** Compaction by volume, often enough to run several times (each rewrites ~1.6 MB of blobs). */
const COMPACT_AFTER_EVENTS = 2500;
const SMALL_FS_BYTES = 64 * 1024 * 1024;
/** At least 100 in all, and enough of each kind that each is really exercised. */
const MIN_KILLS = { total: 100, collect: 15, archive: 15, restore: 15 };

/** mulberry32: the kill moments and restore choices, reproducible from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const random = prng(SEED);
const between = (min: number, max: number) => Math.round(min + random() * (max - min));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);
/** Whether `file` was replaced or written after `since` (ms). */
const writtenSince = (file: string, since: number) => stat(file).then((s) => s.mtimeMs >= since, () => false);
/** REWIND_FAULT_LOG_DIR keeps every child's stderr there; REWIND_FAULT_LOG_LEVEL makes them say more. */
const LOG_LEVEL = process.env.REWIND_FAULT_LOG_LEVEL ?? 'warn';

/** Whether a tmpfs can be mounted here: tried once with a tiny one, so the skip reason is known when tests are collected. */
async function probeSmallFilesystem(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const probe = await makeSmallFilesystem(1024 * 1024);
  if (!probe.ok) return probe;
  await probe.remove();
  return { ok: true };
}

const wire = mongoWire();
const kafkaJars = (await loadInstallState()).server('kafka');
const smallFsProbe = await probeSmallFilesystem();
const missing = !wire.available ? skipReason('wire', wire) : !kafkaJars.ok ? `kafka (the suite's own broker): none (${kafkaJars.reason})` : null;
const needsSmallFs = (timeout: number) => (smallFsProbe.ok ? { timeout } : { timeout, skip: true, meta: { skipReason: `small filesystem: none (${smallFsProbe.reason})` } });

describe('faults at scale: kills, broker restarts and a full disk under a steady write load', missing ? { skip: true, meta: { skipReason: missing } } : {}, () => {
  const counts = {
    seed: SEED,
    kills: { total: 0, collect: 0, archive: 0, restore: 0, restoreWhileWriting: 0 },
    brokerRestarts: 0,
    events: 0,
    eventsArchived: 0,
    duplicates: 0,
    restoresCompared: 0,
    restoresResumed: 0,
    mismatches: 0,
    enospc: { compaction: 0, archiving: 0 },
    unplannedExits: 0,
    /** Archive files the catalog does not name (left by kills or a full disk). */
    orphanFiles: 0,
  };
  const problems: string[] = [];
  const restored = new Set<number>();
  /** The longest a restore took to finish so far: kills fall anywhere up to it. */
  let restoreMs = 3_000;
  /** When the broker was away, and a little after (clients reconnect): exits then are the outage's. */
  const outages: { from: number; to: number }[] = [];
  const diskFull: { from: number; to: number }[] = [];

  let workload: ReturnType<typeof buildFaultWorkload>;
  let smallFs: MountedFilesystem | null = null;
  let base: string;
  let archiveDir: string;
  let jobDir: string;
  let broker: RunningLocalKafka;
  let client: MongoClient;
  let collect: SupervisedProcess;
  let archive: SupervisedProcess;
  let startAtMs: number;
  let collectStateFile: string;

  const catalogs = () => new CatalogStore(archiveDir);
  async function readCatalog(): Promise<Catalog | null> {
    try {
      return await catalogs().read();
    } catch (err) {
      if (isArchiveError(err, 'CATALOG_NOT_FOUND')) return null;
      throw err;
    }
  }
  async function waitForCatalog(what: string, ok: (c: Catalog) => boolean, timeoutMs: number): Promise<Catalog> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await readCatalog();
      if (c && ok(c)) return c;
      if (Date.now() > deadline) {
        throw new Error(`${what}: not reached in ${timeoutMs} ms (durable ${c?.durable ?? 'none'}); collect stderr: ${collect.stderr.slice(-1500)}; archive stderr: ${archive.stderr.slice(-1500)}`);
      }
      await sleep(200);
    }
  }
  const durableAt = (c: Catalog | null, p: Position) => !!c?.durable && comparePositions(parsePosition(c.durable), p) >= 0;
  const lastPosition = () => (workload.checkpoints.at(-1) as Checkpoint).position;

  async function restoreOne(checkpoint: Checkpoint, killsAllowed: number): Promise<void> {
    restored.add(checkpoint.group);
    const result = await restoreUnderKills({
      client,
      archiveDir,
      jobDir,
      targetUri: wire.available ? wire.uri : '',
      checkpoint,
      db: uniqueDatabase('faults'),
      // Moments across a whole restore (startup, plan, ~3,000 documents in batches of 50): up to as long as the
      // longest one so far took to finish.
      nextKill: (n) => (n < killsAllowed ? between(150, restoreMs) : null),
      onKill: (whileWriting) => {
        counts.kills.restore += 1;
        if (whileWriting) counts.kills.restoreWhileWriting += 1;
      },
    });
    restoreMs = Math.max(restoreMs, result.finishMs);
    counts.restoresCompared += 1;
    if (result.resumed) counts.restoresResumed += 1;
    if (result.problems.length > 0) {
      counts.mismatches += 1;
      problems.push(...result.problems);
    }
  }

  /** Until the archive process runs and has written the catalog since it started (a phase needs it working). */
  async function archiving(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(archive.running && (await writtenSince(join(archiveDir, 'catalog.json'), archive.startedAt)))) {
      if (Date.now() > deadline) throw new Error(`the archive process is not archiving: ${archive.stderr.slice(-2000)}`);
      await sleep(200);
    }
  }

  async function runVerify(): Promise<{ code: number; out: string }> {
    try {
      const { stdout } = await run(process.execPath, [REWIND, 'verify', '--archive', archiveDir, '--json'], { timeout: 60_000 });
      return { code: 0, out: stdout };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  }

  beforeAll(async () => {
    console.log(`fault suite: seed ${SEED} (REWIND_FAULT_SEED=${SEED} repeats the workload and the kill intervals)`);
    workload = buildFaultWorkload(SPEC, CHECKPOINT_EVERY);
    counts.events = workload.events.length;
    base = await mkdtemp(join(tmpdir(), 'rewind-faults-'));
    jobDir = join(base, 'jobs');
    if (smallFsProbe.ok) {
      const made = await makeSmallFilesystem(SMALL_FS_BYTES);
      if (!made.ok) throw new Error(`the small filesystem could be mounted a moment ago, now not: ${made.reason}`);
      smallFs = made;
    }
    archiveDir = join(smallFs?.root ?? base, 'archive');
    await mkdir(archiveDir, { recursive: true });
    if (!kafkaJars.ok || !wire.available) throw new Error('unreachable: the block is skipped without its servers');
    // Its own broker (the shared one is not restarted under other suites), with group sessions as short as 1 s:
    // a SIGKILLed archiver's partition then passes to its successor in ~2.5 s instead of the default minimum 6 s.
    broker = await startLocalKafka(kafkaJars, { properties: { 'group.min.session.timeout.ms': '1000' } });
    client = mongoClient(wire);
    await client.connect();

    const topic = uniqueTopic('faults');
    collectStateFile = join(base, 'collect', 'state.json');
    startAtMs = Date.now() + 20_000;
    const settings: ChildSettings = {
      events: 0,
      perSecond: 0,
      seed: SEED,
      startAtMs,
      ratePerMs: RATE_PER_MS,
      stateFile: collectStateFile,
      brokers: [...broker.server.brokers],
      topic,
      batchSize: 200,
      workload: SPEC,
    };
    const archiveConfig = join(base, 'archive.json');
    await writeFile(
      archiveConfig,
      JSON.stringify({
        sourceId: 'faults',
        logLevel: LOG_LEVEL,
        kafka: { brokers: [...broker.server.brokers], topic, groupId: `${topic}.archiver`, sessionTimeoutMs: 2_500 },
        archive: { dir: archiveDir, segmentMaxAgeMs: 500, segmentMaxBytes: 256 * 1024 },
        compaction: { everyMs: null, afterEvents: COMPACT_AFTER_EVENTS },
        compactionMemoryBytes: 32 * 1024 * 1024,
      }),
    );
    collect = new SupervisedProcess('collect', () => ({
      command: process.execPath,
      args: ['--import', 'tsx', CHILD, 'collect', JSON.stringify(settings)],
      env: { ...process.env, CHILD_LOG_LEVEL: LOG_LEVEL },
    }));
    archive = new SupervisedProcess('archive', () => ({ command: process.execPath, args: [REWIND, 'archive', '--config', archiveConfig] }));
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled([collect?.abandon(), archive?.abandon()]);
    await client?.close();
    await broker?.stop();
    await smallFs?.remove();
    if (base) await rm(base, { recursive: true, force: true });
  }, 120_000);

  let progress: NodeJS.Timeout | null = null;
  beforeAll(() => {
    if (!process.env.REWIND_FAULT_LOG_DIR) return;
    progress = setInterval(() => {
      void readCatalog().then((c) => console.log(`fault suite progress: durable ${c?.durable ?? 'none'}, segments ${c?.segments.length ?? 0}, snapshots ${c?.snapshots.length ?? 0}, kills ${JSON.stringify(counts.kills)}, collect #${collect.incarnations} ${collect.running ? 'up' : 'down'}, archive #${archive.incarnations} ${archive.running ? 'up' : 'down'}`));
    }, 10_000);
  });
  afterAll(() => {
    if (progress) clearInterval(progress);
  });

  it(`SIGKILLs collect, archive and restore at random moments (at least ${MIN_KILLS.total}) and restarts the broker twice`, async () => {
    collect.start();
    archive.start();
    // Kills begin once the initial copy is the base: a collector that copies again after the stream started
    // would take the recording's copy (the state before the stream) for a later state.
    await waitForCatalog('the initial copy became the base snapshot', (c) => c.snapshots.length > 0, 90_000);
    const phaseStart = Date.now();
    const phaseEnd = phaseStart + KILL_PHASE_MS;
    const total = () => counts.kills.collect + counts.kills.archive + counts.kills.restore;
    // The phase lasts its time, longer (up to a minute) if the machine was too slow for the kills it must count.
    const enough = () => total() >= MIN_KILLS.total && (['collect', 'archive', 'restore'] as const).every((k) => counts.kills[k] >= MIN_KILLS[k]);
    const over = () => Date.now() >= phaseEnd + 60_000 || (Date.now() >= phaseEnd && enough());

    /**
     * A third of the kills fall anywhere in a process's first 4 s (loading, connecting, joining the group,
     * reading its resume point); the rest at a moment up to 4 s after the process has written something
     * (collect: its resume point, after the broker acknowledged a publish; archive: the catalog), so that
     * capture goes on advancing between kills on a slow machine too.
     */
    const killLoop = async (p: SupervisedProcess, key: 'collect' | 'archive', progressFile: string) => {
      while (!over()) {
        const startedAt = p.startedAt;
        if (random() < 1 / 3) {
          await sleep(between(0, 4_000));
        } else {
          const deadline = Date.now() + 30_000;
          while (!(await writtenSince(progressFile, startedAt)) && Date.now() < deadline && !over()) await sleep(100);
          await sleep(between(200, 4_000));
        }
        if (over()) return;
        if (await p.killAndRestart()) counts.kills[key] += 1;
      }
    };
    const restoreLoop = async () => {
      while (!over()) {
        const catalog = await readCatalog();
        const eligible = workload.checkpoints.filter((c) => !restored.has(c.group) && durableAt(catalog, c.position));
        if (eligible.length === 0) {
          await sleep(500);
          continue;
        }
        // Mostly the newest restorable position (the head of the window, still being written), sometimes an older one.
        const pick = random() < 0.6 ? (eligible.at(-1) as Checkpoint) : (eligible[Math.floor(random() * eligible.length)] as Checkpoint);
        await restoreOne(pick, 4);
      }
    };
    const brokerFaults = async () => {
      for (const [share, how] of [[0.3, 'graceful'], [0.65, 'kill']] as const) {
        await sleep(Math.max(0, phaseStart + share * KILL_PHASE_MS - Date.now()));
        const from = Date.now();
        await broker.restart(how);
        counts.brokerRestarts += 1;
        outages.push({ from, to: Date.now() + 30_000 });
        console.log(`fault suite: broker restarted (${how}) in ${((Date.now() - from) / 1000).toFixed(1)} s`);
      }
    };
    await Promise.all([killLoop(collect, 'collect', collectStateFile), killLoop(archive, 'archive', join(archiveDir, 'catalog.json')), restoreLoop(), brokerFaults()]);
    counts.kills.total = counts.kills.collect + counts.kills.archive + counts.kills.restore;
    console.log(`fault suite: kill phase done: ${JSON.stringify(counts.kills)}, ${counts.restoresCompared} restores compared`);
    expect(counts.brokerRestarts).toBe(2);
    expect(counts.kills.total).toBeGreaterThanOrEqual(MIN_KILLS.total);
    for (const key of ['collect', 'archive', 'restore'] as const) expect(counts.kills[key], key).toBeGreaterThanOrEqual(MIN_KILLS[key]);
  }, KILL_PHASE_MS + 180_000);

  it('ENOSPC during compaction: the compaction fails, the archive stays consistent, and compacts once there is room', needsSmallFs(240_000), async () => {
    const fs = smallFs as MountedFilesystem;
    await archiving();
    const before = await waitForCatalog('archiving', (c) => !!c.durable, 30_000);
    const compactions = before.snapshots.filter((s) => s.kind === 'compaction').length;
    // Room for a minute of segments (~15 KB/s) but not for a base snapshot (the blobs alone are 1.5 MB).
    const from = Date.now();
    await fs.fill(600 * 1024);
    let seen = false;
    const deadline = Date.now() + 90_000;
    while (!seen && Date.now() < deadline) {
      await sleep(100);
      seen = archive.stderrHistory.split('\n').some((line) => line.includes('compaction failed') && /ENOSPC|no space/i.test(line));
    }
    await fs.free();
    diskFull.push({ from, to: Date.now() + 5_000 });
    expect(seen, `the archiver's log shows a compaction failing with ENOSPC (stderr: ${archive.stderr.slice(-2000)})`).toBe(true);
    counts.enospc.compaction += 1;
    const verified = await runVerify();
    expect(verified.code, verified.out).toBe(0);
    await waitForCatalog('a compaction after space came back', (c) => c.snapshots.filter((s) => s.kind === 'compaction').length > compactions, 90_000);
  });

  it('ENOSPC during archiving: the archiver stops with the error, the catalog stays consistent, and it carries on once there is room', needsSmallFs(240_000), async () => {
    const fs = smallFs as MountedFilesystem;
    await archiving();
    archive.restartOnExit = false;
    const from = Date.now();
    await fs.fill(0);
    const exit = await Promise.race([archive.exited, sleep(60_000).then(() => null)]);
    expect(exit, 'the archiver stops on a full disk').not.toBeNull();
    const stopped = exit as Exit;
    expect(stopped.code, stopped.stderr).toBe(1);
    expect(stopped.stderr).toMatch(/ENOSPC|no space/i);
    counts.enospc.archiving += 1;
    const catalogBytes = await readFile(join(archiveDir, 'catalog.json'));
    const verified = await runVerify();
    expect(verified.code, verified.out).toBe(0);
    // Started again on the full disk it refuses with the same error and changes nothing.
    archive.start();
    const again = await Promise.race([archive.exited, sleep(60_000).then(() => null)]);
    expect(again?.code, again?.stderr).toBe(1);
    expect(again?.stderr).toMatch(/ENOSPC|no space/i);
    console.log(`fault suite: rewind archive on the full disk: ${again?.stderr.trim().split('\n').at(-1) ?? ''}`);
    expect(await readFile(join(archiveDir, 'catalog.json'))).toEqual(catalogBytes);
    await fs.free();
    diskFull.push({ from, to: Date.now() + 5_000 });
    archive.restartOnExit = true;
    archive.start();
    const durable = parsePosition((await readCatalog())?.durable ?? '0.0.0');
    await waitForCatalog('archiving after space came back', (c) => !!c.durable && comparePositions(parsePosition(c.durable), durable) > 0, 90_000);
  });

  it('afterwards every event is archived exactly once and every restore is byte-identical to the truth', async () => {
    // The whole stream, released and archived.
    await sleep(Math.max(0, startAtMs + workload.events.length / RATE_PER_MS - Date.now()));
    await waitForCatalog('the end of the stream', (c) => durableAt(c, lastPosition()), 180_000);
    const stops = await Promise.all([collect.stop(), archive.stop()]);
    for (const s of stops) expect(s.code, `${s.process} drains and exits 0 on SIGTERM: ${s.stderr.slice(-2000)}`).toBe(0);

    const catalog = (await readCatalog()) as Catalog;
    expect(catalog.gaps).toEqual([]);
    const store = new FsBlobStore(archiveDir);
    const ids: string[] = [];
    for (const seg of catalog.segments) for await (const e of readSegment(store, seg)) ids.push(e.id);
    const expected = workload.events.map(eventId);
    counts.eventsArchived = ids.length;
    counts.duplicates = ids.length - new Set(ids).size;
    const verified = await runVerify();
    expect(verified.code, verified.out).toBe(0);
    const named = new Set([...catalog.segments.map((g) => g.file.path), ...catalog.snapshots.flatMap((n) => n.namespaces.flatMap((ns) => ns.files.map((f) => f.path)))]);
    const orphans = (await store.list()).filter((p) => !named.has(p) && !/^(catalog(\.prev)?\.json|catalog\.lock|\.status\/.*)$/.test(p));
    counts.orphanFiles = orphans.length;
    if (orphans.length > 0) console.log(`fault suite: ${orphans.length} archive file(s) the catalog does not name: ${orphans.slice(0, 10).join(', ')}`);

    // The restorable positions no restore has compared yet, the last one always among them.
    const rest = workload.checkpoints.filter((c) => !restored.has(c.group));
    const finals = [...rest.filter(() => random() < 0.15), rest.at(-1)].filter((c): c is Checkpoint => c !== undefined);
    for (const c of new Set(finals)) await restoreOne(c, 2);
    counts.kills.total = counts.kills.collect + counts.kills.archive + counts.kills.restore;

    const unplanned = [...collect.unplanned, ...archive.unplanned];
    counts.unplannedExits = unplanned.length;
    const within = (t: number, windows: { from: number; to: number }[]) => windows.some((w) => t >= w.from && t <= w.to);
    const unexplained = unplanned.filter((x) => !within(x.at, outages) && !(x.process === 'archive' && within(x.at, diskFull)));
    console.log(`fault suite counts: ${JSON.stringify(counts)}`);
    // The command's own message (`rewind <command>: CODE: ...`), not the log lines around it.
    const message = (x: Exit) => x.stderr.trim().split('\n').reverse().find((l) => l.startsWith('rewind ')) ?? x.stderr.trim().split('\n').at(-1) ?? '';
    for (const x of unplanned) console.log(`fault suite: ${x.process} exited by itself (${x.code ?? x.signal}) at ${new Date(x.at).toISOString()}: ${message(x)}`);

    expect(counts.duplicates, 'events archived twice').toBe(0);
    expect(ids, 'every event archived once, in order').toEqual(expected);
    expect(problems).toEqual([]);
    expect(counts.mismatches).toBe(0);
    expect(counts.kills.total).toBeGreaterThanOrEqual(MIN_KILLS.total);
    expect(counts.kills.restoreWhileWriting, 'restores killed after they began writing').toBeGreaterThan(0);
    // Every exit of its own says what happened, with a code: exit 1 and a message, no stack trace.
    expect(unplanned.filter((x) => x.code !== 1 || /\n\s+at /.test(x.stderr) || !message(x).startsWith('rewind ')).map((x) => `${x.process} ${x.code ?? x.signal}: ${x.stderr.slice(-1500)}`), 'exits without a coded message').toEqual([]);
    expect(unexplained.map((x) => `${x.process} ${x.code ?? x.signal} at ${new Date(x.at).toISOString()}: ${x.stderr.slice(-1500)}`), 'exits outside a broker outage or a full disk').toEqual([]);
  }, 420_000);
});

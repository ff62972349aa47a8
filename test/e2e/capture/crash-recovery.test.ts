import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Document } from 'bson';
import { afterEach, describe, expect, it } from 'vitest';
import { comparePositions, parsePosition, position } from '../../../contracts/index.js';
import type { Catalog } from '../../../contracts/index.js';
import { CatalogStore, FsBlobStore, isArchiveError, readSegment } from '../../../services/archive/index.js';
import { syntheticEvents } from '../../../services/collector/testing/synthetic-stream.js';
import { describeWith, uniqueTopic } from '../../harness/index.js';
import type { ChildSettings } from './capture-child.js';

const CHILD = fileURLToPath(new URL('./capture-child.ts', import.meta.url));
const children = new Set<ChildProcess>();
const dirs: string[] = [];

afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function start(mode: 'up' | 'collect' | 'archive', settings: ChildSettings): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, JSON.stringify(settings)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') console.error(`${mode} child exited ${code} ${signal}: ${stderr.slice(-2000)}`);
  });
  children.add(child);
  return child;
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function stopGracefully(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

async function readCatalog(dir: string): Promise<Catalog | null> {
  try {
    return await new CatalogStore(dir).read();
  } catch (err) {
    if (isArchiveError(err, 'CATALOG_NOT_FOUND') || isArchiveError(err, 'CATALOG_INVALID')) return null;
    throw err;
  }
}

async function waitFor(dir: string, ok: (c: Catalog) => boolean, timeoutMs: number): Promise<Catalog> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await readCatalog(dir);
    if (c && ok(c)) return c;
    if (Date.now() > deadline) throw new Error(`archive did not reach the expected state in ${timeoutMs} ms: durable ${c?.durable ?? 'none'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Random moments, but reproducible from the printed seed. */
function randomMoments(seed: number, count: number, minMs: number, maxMs: number): number[] {
  let s = seed;
  return Array.from({ length: count }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return minMs + (s % (maxMs - minMs));
  });
}

/** Every archived event id once, in order, and the run contiguous with the recorded sequence. */
async function expectExactlyOnce(dir: string, events: Document[]): Promise<number> {
  const catalog = (await readCatalog(dir)) as Catalog;
  const store = new FsBlobStore(dir);
  const ids: string[] = [];
  for (const seg of catalog.segments) for await (const e of readSegment(store, seg)) ids.push(e.id);
  const expected = events.map((e) => (e._id as { _data: string })._data);
  expect(new Set(ids).size).toBe(ids.length);
  const from = expected.indexOf(ids[0] as string);
  expect(from).toBeGreaterThanOrEqual(0);
  expect(ids).toEqual(expected.slice(from));
  return ids.length;
}

function lastPosition(events: Document[]) {
  const ct = (events.at(-1) as Document).clusterTime as { high: number; low: number };
  return position(ct.high, ct.low, 0);
}

/** 6000 events released over 6 s of wall time, starting a few seconds after the test starts its processes. */
const STREAM = { events: 6000, perSecond: 400, ratePerMs: 1 };
const hasBase = (c: Catalog) => c.snapshots.length > 0;

describe('rewind up: kill -9 at random moments during a stream', () => {
  it('after restarts every event is in the archive exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-crash-up-'));
    dirs.push(dir);
    const seed = Date.now() % 100_000;
    const settings: ChildSettings = { ...STREAM, seed: 11, startAtMs: Date.now() + 6000, archiveDir: dir };
    const events = syntheticEvents({ events: STREAM.events, perSecond: STREAM.perSecond, seed: 11 });
    let child = start('up', settings);
    // The first process takes its base before the stream starts, so every event must reach the archive.
    await waitFor(dir, hasBase, 30_000);
    await sleep(Math.max(0, settings.startAtMs - Date.now()));
    for (const wait of randomMoments(seed, 3, 300, 1800)) {
      await sleep(wait);
      await killHard(child);
      child = start('up', settings);
    }
    await waitFor(dir, (c) => !!c.durable && comparePositions(parsePosition(c.durable), lastPosition(events)) >= 0, 60_000);
    expect(await stopGracefully(child)).toBe(0);
    const archived = await expectExactlyOnce(dir, events);
    expect(archived, `kill seed ${seed}`).toBe(STREAM.events);
  }, 120_000);
});

describeWith('kafka', 'rewind collect + rewind archive over Kafka: kill -9 of either at random moments', (server) => {
  it('after restarts every event is in the archive exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-crash-kafka-'));
    dirs.push(dir);
    const seed = Date.now() % 100_000;
    const topic = uniqueTopic('crash');
    const settings: ChildSettings = {
      ...STREAM,
      seed: 12,
      startAtMs: Date.now() + 10_000,
      archiveDir: dir,
      stateFile: join(dir, '..', `${topic}.state.json`),
      brokers: [...server.brokers],
      topic,
      groupId: `${topic}-archiver`,
    };
    const events = syntheticEvents({ events: STREAM.events, perSecond: STREAM.perSecond, seed: 12 });
    let collector = start('collect', settings);
    let archiver = start('archive', settings);
    await waitFor(dir, hasBase, 30_000);
    await sleep(Math.max(0, settings.startAtMs - Date.now()));
    const moments = randomMoments(seed, 4, 300, 1800);
    for (const [i, wait] of moments.entries()) {
      await sleep(wait);
      if (i % 2 === 0) {
        await killHard(collector);
        collector = start('collect', settings);
      } else {
        await killHard(archiver);
        archiver = start('archive', settings);
      }
    }
    await waitFor(dir, (c) => !!c.durable && comparePositions(parsePosition(c.durable), lastPosition(events)) >= 0, 90_000);
    expect(await stopGracefully(collector)).toBe(0);
    expect(await stopGracefully(archiver)).toBe(0);
    const archived = await expectExactlyOnce(dir, events);
    expect(archived, `kill seed ${seed}`).toBe(STREAM.events);
    await rm(settings.stateFile as string, { force: true });
  }, 150_000);
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { comparePositions, parsePosition, position } from '../../contracts/index.js';
import type { Catalog } from '../../contracts/index.js';
import { CatalogStore, FsBlobStore, readSegment, readSnapshotNamespace } from '../archive/index.js';
import { Collector } from '../collector/collector.js';
import { CatalogResumeStore } from '../collector/resume-store.js';
import type { ResumeStore } from '../collector/resume-store.js';
import { RecordedChangeSource, eventBytes } from '../collector/testing/recorded-change-source.js';
import { RecordedCopySource } from '../collector/testing/recorded-copy-source.js';
import { syntheticEvents } from '../collector/testing/synthetic-stream.js';
import { EmbeddedLog } from '../eventlog/embedded-log.js';
import type { LogConsumer } from '../eventlog/event-log.js';
import { Archiver } from './archiver.js';
import type { CompactionPolicy } from './archiver-options.js';

const silent = pino({ level: process.env.DEBUG_ARCHIVER ? 'debug' : 'silent' });
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const readCatalog = (catalog: CatalogStore): Promise<Catalog | null> => catalog.readIfExists();

/** collector + embedded log + archiver, as `rewind up` runs them, until `until` or the timeout. */
async function runUp(
  dir: string,
  source: RecordedChangeSource,
  until: (c: Catalog | null) => boolean,
  compaction: Partial<CompactionPolicy> = {},
  resumeStore?: ResumeStore,
) {
  const store = new FsBlobStore(dir);
  const catalog = new CatalogStore(dir);
  const log = new EmbeddedLog();
  const collector = new Collector({
    source,
    copySource: new RecordedCopySource(() => []),
    producer: log.producer,
    resumeStore: resumeStore ?? new CatalogResumeStore(() => readCatalog(catalog)),
    log: silent,
    pollWaitMs: 20,
    heartbeatMs: 0,
  });
  const archiver = new Archiver({
    consumer: log.consumer,
    store,
    catalog,
    sourceId: 'test',
    log: silent,
    segmentMaxBytes: 64 * 1024,
    segmentMaxAgeMs: 100,
    codec: 'deflate',
    compaction: { everyMs: null, afterEvents: null, memoryBytes: 16 * 1024 * 1024, ...compaction },
    retention: { windowMs: null },
    pollWaitMs: 20,
    logEnded: () => log.ended,
  });
  const archiving = archiver.run();
  const collecting = collector.run();
  const deadline = Date.now() + 30_000;
  while (!until(await readCatalog(catalog)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await collector.stop();
  await collecting;
  await archiving;
  return { store, catalog, final: (await catalog.read()) };
}

async function archivedIds(store: FsBlobStore, catalog: Catalog): Promise<string[]> {
  const ids: string[] = [];
  for (const seg of catalog.segments) for await (const e of readSegment(store, seg)) ids.push(e.id);
  return ids;
}

const lastPosition = (events: Document[]) => {
  const e = events.at(-1) as Document;
  return e.clusterTime as { high: number; low: number };
};

describe('archiver with the embedded log (rewind up)', () => {
  it('archives every event exactly once, builds the base from the initial copy, and compacts after a volume of events', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-archiver-'));
    dirs.push(dir);
    const events = syntheticEvents({ events: 3000, perSecond: 500 });
    // Bytes made before the clock starts: the stream's release schedule counts from t0.
    const raws = eventBytes(events);
    // The release clock starts when the collector first looks (its fresh start takes "now" then), not when
    // the test is set up: on a busy machine a fixed lead ran out before the stream opened.
    let t0: number | undefined;
    const source = new RecordedChangeSource(raws, { batchSize: 200, availableAtMs: (i) => (t0 ??= Date.now() + 100) + i * 0.5 });
    const last = lastPosition(events);
    const done = (c: Catalog | null) =>
      !!c?.durable && comparePositions(parsePosition(c.durable), position(last.high, last.low, 0)) >= 0 && c.snapshots.some((s) => s.kind === 'compaction');
    const { store, final } = await runUp(dir, source, done, { afterEvents: 1000 });

    const ids = await archivedIds(store, final);
    const expected = events.map((e) => (e._id as { _data: string })._data);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expected.slice(expected.length - ids.length));
    // A fresh start records from the moment the stream opened: the events visible then came before it.
    expect(ids.length).toBeGreaterThan(2500);
    expect(final.resumeToken).toBeDefined();
    expect(final.snapshots.filter((s) => s.kind === 'initial-copy')).toHaveLength(1);
    const compacted = final.snapshots.filter((s) => s.kind === 'compaction').at(-1);
    if (!compacted) throw new Error('no compaction snapshot');

    // The compacted snapshot holds exactly the documents alive at its position.
    const at = parsePosition(compacted.position);
    const alive = new Map<string, Set<number>>();
    for (const e of events) {
      const ct = e.clusterTime as { high: number; low: number };
      const p = position(ct.high, ct.low, 0);
      if (comparePositions(p, at) > 0) break;
      const ns = `${(e.ns as { db: string }).db}.${(e.ns as { coll: string }).coll}`;
      const set = alive.get(ns) ?? new Set<number>();
      alive.set(ns, set);
      const id = Number((e.documentKey as { _id: { value: number } })._id.value);
      if (e.operationType === 'insert') set.add(id);
      if (e.operationType === 'delete') set.delete(id);
    }
    const archivedFirst = parsePosition(final.segments.map((s) => s.first).sort()[0] ?? '0.0.0');
    for (const ns of compacted.namespaces) {
      const got: number[] = [];
      for await (const r of readSnapshotNamespace(store, ns)) got.push((deserialize(r.key) as { _id: number })._id);
      const want = [...(alive.get(ns.ns) ?? [])].filter((id) => {
        // Documents inserted before the stream started are not in the archive (the recorded copy is empty).
        const ins = events.find((e) => e.operationType === 'insert' && Number((e.documentKey as { _id: { value: number } })._id.value) === id && `${(e.ns as { db: string }).db}.${(e.ns as { coll: string }).coll}` === ns.ns);
        const ct = ins?.clusterTime as { high: number; low: number } | undefined;
        return ct && comparePositions(position(ct.high, ct.low, 0), archivedFirst) >= 0;
      });
      expect(got.sort((a, b) => a - b), ns.ns).toEqual(want.sort((a, b) => a - b));
    }
  });

  it('stops and restarts from the catalog without losing or repeating an event', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-archiver-'));
    dirs.push(dir);
    const events = syntheticEvents({ events: 2000, perSecond: 400, seed: 7 });
    // Bytes made before the clock starts: the stream's release schedule counts from t0.
    const raws = eventBytes(events);
    const t0 = Date.now() + 100;
    const source = () => new RecordedChangeSource(raws, { batchSize: 150, availableAtMs: (i) => t0 + i * 0.5 });
    const half = lastPosition(events.slice(0, 1000));
    await runUp(dir, source(), (c) => !!c?.durable && comparePositions(parsePosition(c.durable), position(half.high, half.low, 0)) >= 0);
    const last = lastPosition(events);
    const { store, final } = await runUp(dir, source(), (c) => !!c?.durable && comparePositions(parsePosition(c.durable), position(last.high, last.low, 0)) >= 0);
    const ids = await archivedIds(store, final);
    const expected = events.map((e) => (e._id as { _data: string })._data);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expected.slice(expected.length - ids.length));
    expect(final.snapshots.filter((s) => s.kind === 'initial-copy')).toHaveLength(1);
  });

  it('records a lost resume point as a gap in the catalog and closes it with the next base snapshot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-archiver-'));
    dirs.push(dir);
    const events = syntheticEvents({ events: 2000, perSecond: 400, seed: 3 });
    // Bytes made before the clock starts: the stream's release schedule counts from t0.
    const raws = eventBytes(events);
    const t0 = Date.now() + 100;
    const half = lastPosition(events.slice(0, 800));
    const first = await runUp(dir, new RecordedChangeSource(raws, { batchSize: 150, availableAtMs: (i) => t0 + i * 0.5 }), (c) => !!c?.durable && comparePositions(parsePosition(c.durable), position(half.high, half.low, 0)) >= 0);
    const before = first.final.durable;
    // The oplog has moved past the saved point: the history up to event 1500 is gone.
    const last = lastPosition(events);
    const lost = new RecordedChangeSource(raws, { batchSize: 150, retainedFrom: 1500, availableAtMs: (i) => t0 + i * 0.5 });
    const { final } = await runUp(dir, lost, (c) => !!c?.gaps[0]?.to && !!c.durable && comparePositions(parsePosition(c.durable), position(last.high, last.low, 0)) >= 0);
    expect(final.gaps).toHaveLength(1);
    const gap = final.gaps[0];
    expect(gap?.from).toBe(before);
    expect(gap?.reason).toMatch(/history lost/);
    const copies = final.snapshots.filter((s) => s.kind === 'initial-copy').map((s) => s.position);
    expect(copies).toHaveLength(2);
    expect(gap?.to).toBe(copies[1]);
    expect(comparePositions(parsePosition(gap?.to ?? '0.0.0'), parsePosition(before ?? '0.0.0'))).toBeGreaterThan(0);
  });

  it('records a gap when a collector starts over past the archive without its resume point', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-archiver-'));
    dirs.push(dir);
    const events = syntheticEvents({ events: 1600, perSecond: 400, seed: 5 });
    // Bytes made before the clock starts: the stream's release schedule counts from t0.
    const raws = eventBytes(events);
    const t0 = Date.now() + 100;
    const source = () => new RecordedChangeSource(raws, { batchSize: 150, availableAtMs: (i) => t0 + i * 0.5 });
    const half = lastPosition(events.slice(0, 600));
    const first = await runUp(dir, source(), (c) => !!c?.durable && comparePositions(parsePosition(c.durable), position(half.high, half.low, 0)) >= 0);
    await new Promise((r) => setTimeout(r, 400));
    // A lost state file: the collector knows nothing and starts at "now", after events the archive never saw.
    const forgetful: ResumeStore = { load: () => Promise.resolve(null), saved: () => Promise.resolve() };
    const { final } = await runUp(dir, source(), (c) => (c?.snapshots.length ?? 0) >= 2, {}, forgetful);
    expect(final.gaps).toHaveLength(1);
    expect(final.gaps[0]?.from).toBe(first.final.durable);
    expect(final.gaps[0]?.reason).toMatch(/started over/);
    expect(final.gaps[0]?.to).toBe(final.snapshots.at(-1)?.position);
  });

  it('commits a log position only once every event before it is in a catalogued segment, with several rolls in flight', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-archiver-'));
    dirs.push(dir);
    const events = syntheticEvents({ events: 3000, perSecond: 500, seed: 11 });
    // Bytes made before the clock starts: the stream's release schedule counts from t0.
    const raws = eventBytes(events);
    const t0 = Date.now() + 100;
    const source = new RecordedChangeSource(raws, { batchSize: 100, availableAtMs: (i) => t0 + i * 0.4 });
    const catalog = new CatalogStore(dir);
    // Segment files take 300 ms to become durable, three times the roll age: rolls overlap.
    const store = new FsBlobStore(dir);
    const put = store.put.bind(store);
    store.put = async (path, body) => {
      if (path.startsWith('segments/')) await new Promise((r) => setTimeout(r, 300));
      return put(path, body);
    };
    const log = new EmbeddedLog();
    // The last event position of each delivery, by its cursor's sequence.
    const delivered = new Map<number, { seconds: number; increment: number; index: number } | null>();
    const violations: string[] = [];
    let commits = 0;
    const consumer: LogConsumer = {
      transport: 'embedded',
      poll: async (waitMs) => {
        const d = await log.consumer.poll(waitMs);
        if (d?.cursor.transport === 'embedded') {
          const last = d.records.filter((r) => r.kind === 'event').at(-1);
          delivered.set(d.cursor.sequence, last?.kind === 'event' ? last.event : null);
        }
        return d;
      },
      commit: async (cursor) => {
        if (cursor.transport !== 'embedded') throw new Error('embedded cursors only');
        commits += 1;
        const c = await catalog.read();
        const covered = c.segments.map((s) => parsePosition(s.last)).sort(comparePositions).at(-1);
        for (const [sequence, last] of delivered) {
          if (sequence > cursor.sequence || !last) continue;
          const at = position(last.seconds, last.increment, last.index);
          if (!covered || comparePositions(at, covered) > 0) violations.push(`delivery ${sequence} committed before its events were catalogued`);
        }
        return log.consumer.commit(cursor);
      },
      close: () => log.consumer.close(),
    };
    const collector = new Collector({
      source,
      copySource: new RecordedCopySource(() => []),
      producer: log.producer,
      resumeStore: new CatalogResumeStore(() => readCatalog(catalog)),
      log: silent,
      pollWaitMs: 20,
      heartbeatMs: 0,
    });
    const archiver = new Archiver({
      consumer,
      store,
      catalog,
      sourceId: 'test',
      log: silent,
      segmentMaxBytes: 1 << 20,
      segmentMaxAgeMs: 100,
      codec: 'deflate',
      compaction: { everyMs: null, afterEvents: null, memoryBytes: 16 * 1024 * 1024 },
      retention: { windowMs: null },
      pollWaitMs: 20,
      logEnded: () => log.ended,
    });
    const archiving = archiver.run();
    const collecting = collector.run();
    const last = lastPosition(events);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const c = await readCatalog(catalog);
      if ((c?.durable && comparePositions(parsePosition(c.durable), position(last.high, last.low, 0)) >= 0) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await collector.stop();
    await collecting;
    await archiving;
    const final = await catalog.read();
    expect(violations).toEqual([]);
    expect(commits).toBeGreaterThan(3);
    expect(final.segments.length).toBeGreaterThan(3);
    expect(await archivedIds(store, final)).toEqual(events.map((e) => (e._id as { _data: string })._data));
  });
});

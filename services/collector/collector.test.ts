import type { Buffer } from 'node:buffer';
import { Timestamp, deserialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { comparePositions, parsePosition, position } from '../../contracts/index.js';
import type { ChangeEvent } from '../../contracts/index.js';
import { loadCorpus, fixtureByName } from '../../test/fixtures/change-events/corpus.js';
import { EmbeddedLog } from '../eventlog/embedded-log.js';
import type { LogRecord } from '../eventlog/log-record.js';
import { Collector } from './collector.js';
import type { ResumePoint, ResumeStore } from './resume-store.js';
import { RecordedChangeSource, highWaterMarkToken } from './testing/recorded-change-source.js';
import { RecordedCopySource } from './testing/recorded-copy-source.js';
import type { RecordedCollection } from './testing/recorded-copy-source.js';
import { syntheticStream } from './testing/synthetic-stream.js';
import { positionBefore } from './resume-token.js';

const silent = pino({ level: 'silent' });

class MemoryResumeStore implements ResumeStore {
  saves = 0;
  constructor(public point: ResumePoint | null) {}
  load() {
    return Promise.resolve(this.point);
  }
  saved(point: ResumePoint) {
    this.point = point;
    this.saves += 1;
    return Promise.resolve();
  }
}

/** A resume point just before the first recorded event, as if the collector had been running. */
function pointBefore(events: readonly Buffer[]): ResumePoint {
  const docs = events.map((e) => deserialize(e));
  const first = docs.find((e) => e.clusterTime instanceof Timestamp)?.clusterTime as Timestamp;
  const before = new Timestamp({ t: first.high, i: (first.low >>> 0) - 1 });
  return { token: { _data: highWaterMarkToken(before)._data as string }, durable: `${first.high}.${(first.low >>> 0) - 1}.2147483647`, copyComplete: true };
}

interface Run {
  records: LogRecord[];
  store: MemoryResumeStore;
  collector: Collector;
}

/** Runs a collector until `done(records)` says so (or stopAfterBatches), then stops it and drains the log. */
async function runCollector(
  source: RecordedChangeSource,
  store: MemoryResumeStore,
  done: (records: LogRecord[]) => boolean,
  copy: RecordedCopySource = new RecordedCopySource(() => []),
): Promise<Run> {
  const log = new EmbeddedLog();
  const collector = new Collector({
    source,
    copySource: copy,
    producer: log.producer,
    resumeStore: store,
    log: silent,
    pollWaitMs: 20,
    heartbeatMs: 0,
    retryBaseMs: 5,
    retryMaxMs: 20,
  });
  const running = collector.run();
  const records: LogRecord[] = [];
  const deadline = Date.now() + 10_000;
  while (!done(records) && Date.now() < deadline) {
    const d = await log.consumer.poll(20);
    if (d) records.push(...d.records);
  }
  await collector.stop();
  await running;
  for (let d = await log.consumer.poll(0); d; d = await log.consumer.poll(0)) records.push(...d.records);
  return { records, store, collector };
}

const eventsOf = (records: LogRecord[]): ChangeEvent[] => records.flatMap((r) => (r.kind === 'event' ? [r.event] : []));
const pos = (e: ChangeEvent) => position(e.seconds, e.increment, e.index);

function caughtUp(total: number) {
  return (records: LogRecord[]) => eventsOf(records).length >= total && records.at(-1)?.kind === 'checkpoint';
}

describe('collector over the documented corpus', () => {
  const corpus = loadCorpus();

  it('normalizes every fixture of every operation type, in position order, with its resume point', async () => {
    const ops = new Set<string>();
    for (const fixture of corpus) {
      const whole = fixture.eventDocs.filter((e) => {
        const s = e.splitEvent as { fragment?: unknown; of?: unknown } | undefined;
        return !s || Number(s.fragment) === Number(s.of);
      });
      const source = new RecordedChangeSource(fixture.events, { batchSize: 2 });
      const { records, store, collector } = await runCollector(source, new MemoryResumeStore(pointBefore(fixture.events)), caughtUp(whole.length));
      const events = eventsOf(records);
      expect(collector.state, fixture.name).toBe('stopped');
      expect(events.map((e) => e.op), fixture.name).toEqual(whole.map((e) => String(e.operationType ?? fixture.eventDocs[0]?.operationType)));
      expect(events.map((e) => e.id), fixture.name).toEqual(whole.map((e) => (e._id as { _data: string })._data));
      for (let i = 1; i < events.length; i++) {
        expect(comparePositions(pos(events[i - 1] as ChangeEvent), pos(events[i] as ChangeEvent)), fixture.name).toBeLessThan(0);
      }
      // Events sharing a clusterTime (a transaction) are numbered 0, 1, 2…
      const byTime = new Map<string, number[]>();
      for (const e of events) byTime.set(`${e.seconds}.${e.increment}`, [...(byTime.get(`${e.seconds}.${e.increment}`) ?? []), e.index]);
      for (const idx of byTime.values()) expect(idx).toEqual(idx.map((_, i) => i));
      // The committed point covers the last event.
      const last = events.at(-1);
      if (last) expect(comparePositions(parsePosition(store.point?.durable ?? '0.0.0'), pos(last))).toBeGreaterThanOrEqual(0);
      for (const e of events) ops.add(e.op);
    }
    expect([...ops].sort()).toEqual(
      ['create', 'createIndexes', 'delete', 'drop', 'dropDatabase', 'dropIndexes', 'insert', 'invalidate', 'modify', 'rename', 'replace', 'update'].sort(),
    );
  });

  it('reassembles split large events into one event with the whole document', async () => {
    for (const name of ['split-large-insert', 'split-large-update']) {
      const fixture = fixtureByName(name);
      const source = new RecordedChangeSource(fixture.events, { batchSize: 1 });
      const { records } = await runCollector(source, new MemoryResumeStore(pointBefore(fixture.events)), caughtUp(1));
      const events = eventsOf(records);
      expect(events).toHaveLength(1);
      const e = events[0] as ChangeEvent;
      const last = fixture.eventDocs.at(-1) as Document;
      expect(e.id).toBe((last._id as Document)._data);
      if (fixture.afterBytes && e.fullDocument) expect(e.fullDocument.equals(fixture.afterBytes)).toBe(true);
      // No checkpoint between the fragments: resuming there would lose the first fragment.
      const checkpoints = records.filter((r) => r.kind === 'checkpoint');
      for (const c of checkpoints) expect(c.kind === 'checkpoint' && c.checkpoint.resumeToken._data).not.toBe((fixture.eventDocs[0]?._id as Document)._data);
    }
  });

  it('resumes in the middle of a transaction and continues its numbering exactly', async () => {
    const fixture = fixtureByName('txn-insert-update-delete');
    const all = await runCollector(new RecordedChangeSource(fixture.events, { batchSize: 3 }), new MemoryResumeStore(pointBefore(fixture.events)), caughtUp(3));
    // One event per batch, stopped after the first event's checkpoint: the resume point is inside the transaction.
    const first = await runCollector(new RecordedChangeSource(fixture.events, { batchSize: 1 }), new MemoryResumeStore(pointBefore(fixture.events)), caughtUp(1));
    expect(eventsOf(first.records).length).toBeGreaterThanOrEqual(1);
    const rest = await runCollector(new RecordedChangeSource(fixture.events, { batchSize: 1 }), new MemoryResumeStore(first.store.point), caughtUp(3 - eventsOf(first.records).length));
    const joined = [...eventsOf(first.records), ...eventsOf(rest.records)];
    expect(joined.map((e) => [e.id, e.index])).toEqual(eventsOf(all.records).map((e) => [e.id, e.index]));
    expect(joined.map((e) => e.index)).toEqual([0, 1, 2]);
  });

  it('turns a lost resume point into a gap followed by a new initial copy', async () => {
    const fixture = fixtureByName('txn-insert-update-delete');
    const point = pointBefore(fixture.events);
    // The recorded oplog no longer holds the first event: the saved point fell off it.
    const source = new RecordedChangeSource(fixture.events, { batchSize: 10, retainedFrom: 1 });
    const docs = fixture.documentsAfterBytes ?? [];
    const collections: RecordedCollection[] = [
      { ns: 'test.coll', options: {}, indexes: [{ v: { $numberInt: '2' }, key: { _id: { $numberInt: '1' } }, name: '_id_' }], documents: docs },
    ];
    const copy = new RecordedCopySource(() => collections);
    const { records, collector } = await runCollector(source, new MemoryResumeStore(point), (r) => r.some((x) => x.kind === 'copy-end'), copy);
    const kinds = records.map((r) => r.kind);
    const gap = records.find((r) => r.kind === 'gap');
    expect(gap?.kind === 'gap' && gap.from).toBe(point.durable);
    expect(gap?.kind === 'gap' && gap.reason).toMatch(/history lost/);
    expect(kinds.indexOf('gap')).toBeLessThan(kinds.indexOf('copy-start'));
    expect(kinds.indexOf('copy-start')).toBeLessThan(kinds.indexOf('copy-end'));
    expect(records.filter((r) => r.kind === 'copy-collection').map((r) => r.kind === 'copy-collection' && r.metadata.ns)).toEqual(['test.coll']);
    const copied = records.flatMap((r) => (r.kind === 'copy-documents' ? r.documents : []));
    expect(copied.map((d) => d.toString('hex'))).toEqual(docs.map((d) => d.toString('hex')));
    const start = records.find((r) => r.kind === 'copy-start');
    const end = records.find((r) => r.kind === 'copy-end');
    if (start?.kind !== 'copy-start' || end?.kind !== 'copy-end') throw new Error('copy records missing');
    expect(comparePositions(parsePosition(start.at), parsePosition(end.at))).toBeLessThanOrEqual(0);
    expect(collector.status().gapsRecorded).toBe(1);
    expect(copy.copies).toBe(1);
  });

  it('starts fresh with a copy taken while the stream records, and retries an unreachable source', async () => {
    const fixture = fixtureByName('txn-insert-update-delete');
    const unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'MongoNetworkError' });
    const source = new RecordedChangeSource(fixture.events, { openFailures: [unreachable, unreachable] });
    const copy = new RecordedCopySource(() => [{ ns: 'test.coll', options: {}, indexes: [], documents: [] }]);
    const { records } = await runCollector(source, new MemoryResumeStore(null), (r) => r.some((x) => x.kind === 'copy-end'), copy);
    expect(source.opens).toBe(3);
    const start = records.find((r) => r.kind === 'copy-start');
    const now = await source.currentClusterTime();
    expect(start?.kind === 'copy-start' && start.at).toBe(`${positionBefore(now).seconds}.${positionBefore(now).increment}.${positionBefore(now).index}`);
  });

  it('advances the committed point from the post-batch resume token when nothing changes', async () => {
    const fixture = fixtureByName('txn-insert-update-delete');
    const source = new RecordedChangeSource(fixture.events, { batchSize: 10 });
    const now = await source.currentClusterTime();
    const idle = positionBefore(now);
    const { records, store } = await runCollector(source, new MemoryResumeStore(pointBefore(fixture.events)), (r) =>
      r.some((x) => x.kind === 'checkpoint' && comparePositions(parsePosition(x.checkpoint.durable), idle) >= 0),
    );
    const last = records.filter((r) => r.kind === 'checkpoint').at(-1);
    expect(last?.kind === 'checkpoint' && last.checkpoint.durable).toBe(`${idle.seconds}.${idle.increment}.${idle.index}`);
    // The point is the high-water mark, not the last event: resuming there skips nothing and repeats nothing.
    expect(store.point?.token).toEqual(highWaterMarkToken(now));
  });

  it('saves resume points one at a time, never an older one after a newer one, and the last one published', async () => {
    /** A state file that takes 30 ms to replace: batches are acknowledged faster than it is saved. */
    class SlowStore extends MemoryResumeStore {
      running = 0;
      overlapped = false;
      readonly order: string[] = [];
      override async saved(point: ResumePoint): Promise<void> {
        this.running += 1;
        if (this.running > 1) this.overlapped = true;
        await new Promise((r) => setTimeout(r, 30));
        this.order.push(point.durable);
        this.running -= 1;
        return super.saved(point);
      }
    }
    const events = syntheticStream({ events: 3000, perSecond: 1000, seed: 5 });
    const store = new SlowStore(pointBefore(events));
    const { records } = await runCollector(new RecordedChangeSource(events, { batchSize: 50 }), store, caughtUp(3000));
    const checkpoints = records.flatMap((r) => (r.kind === 'checkpoint' ? [r.checkpoint.durable] : []));
    expect(eventsOf(records)).toHaveLength(3000);
    expect(store.overlapped).toBe(false);
    expect(store.saves).toBeLessThan(checkpoints.length);
    const saved = store.order.map(parsePosition);
    for (let i = 1; i < saved.length; i++) expect(comparePositions(saved[i] as ReturnType<typeof parsePosition>, saved[i - 1] as ReturnType<typeof parsePosition>)).toBeGreaterThan(0);
    expect(store.point?.durable).toBe(checkpoints.at(-1));
  });
});

/**
 * Benchmark `capture`: change events from the source port to a durable
 * segment, per second, with the embedded log and through Kafka, beside a bare
 * kafkajs producer and consumer group moving the same Avro bytes on the same
 * broker (targets: one process ≥ 0.9 and `rewind collect` apart ≥ 0.8 of the bare clients); end-to-end lag p50
 * and p99 at a steady 5,000 events/s (target p99 < 1 s); the process's peak
 * resident memory.
 *
 * Second baseline, no target yet: Kafka's own Java producer
 * (bench/support/producer-performance.ts) sending as many records of the
 * events' average Avro size to the same broker with rewind's producer
 * settings (acks=all, idempotent, one request in flight) and 1 MiB batches:
 * the broker's limit, which rewind and bare kafkajs are both reported
 * against. The Kafka sides run after a warm-up, in rounds whose
 * order reverses every round (bench/support/alternating-rounds.ts); each
 * side's figure is its best round, and params hold every round.
 *
 * The source port replays a recorded sequence in the documented shapes
 * (services/collector/testing), so the figures measure rewind, not a MongoDB.
 * Kafka: KAFKA_BROKERS, else the local broker of the test harness; without
 * one the Kafka figures are left out and params say why.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Timestamp } from 'bson';
import { deserialize } from '../contracts/bson.js';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { changeEventType, comparePositions, formatPosition, parsePosition, position } from '../contracts/index.js';
import type { Catalog } from '../contracts/index.js';
import { CatalogStore, FsBlobStore, isArchiveError, readSegment } from '../services/archive/index.js';
import { Archiver } from '../services/archiver/archiver.js';
import { readProcessStatuses } from '../services/archiver/process-status.js';
import { Collector } from '../services/collector/collector.js';
import { normalizeChangeEvent } from '../services/collector/normalize-event.js';
import type { ResumePoint, ResumeStore } from '../services/collector/resume-store.js';
import { RecordedChangeSource, highWaterMarkToken } from '../services/collector/testing/recorded-change-source.js';
import { RecordedCopySource } from '../services/collector/testing/recorded-copy-source.js';
import { syntheticStream } from '../services/collector/testing/synthetic-stream.js';
import { EmbeddedLog } from '../services/eventlog/embedded-log.js';
import type { LogConsumer, LogProducer } from '../services/eventlog/event-log.js';
import { KafkaLogConsumer, KafkaLogProducer } from '../services/eventlog/kafka-log.js';
import type { BenchContext, BenchResult, Figure } from './convention.js';
import { peakRss } from './convention.js';
import { alternatingRounds, best } from './support/alternating-rounds.js';
import type { Side } from './support/alternating-rounds.js';
import { PRODUCER_PERFORMANCE_JVM, PRODUCER_PERFORMANCE_PROPS, findProducerPerformance, runProducerPerformance } from './support/producer-performance.js';
import type { ProducerPerformanceRun } from './support/producer-performance.js';

const silent = pino({ level: 'silent' });

/** Resumes just before the first recorded event, as a collector that has been running. */
class StartBefore implements ResumeStore {
  constructor(private readonly first: Timestamp) {}
  load(): Promise<ResumePoint> {
    const t = this.first;
    return Promise.resolve({
      token: highWaterMarkToken(t),
      durable: formatPosition(position(t.high, (t.low >>> 0) - 1, 2147483647)),
      copyComplete: true,
    });
  }
  saved(): Promise<void> {
    return Promise.resolve();
  }
}

/** The cluster time of a recorded event (its bytes, as a server sends them). */
const clusterTimeOf = (event: Buffer | undefined): Timestamp => deserialize(event as Buffer).clusterTime as Timestamp;

const lastPos = (events: Buffer[]) => {
  const ct = clusterTimeOf(events.at(-1));
  return position(ct.high, ct.low, 0);
};

async function readCatalog(c: CatalogStore): Promise<Catalog | null> {
  try {
    return await c.read();
  } catch (err) {
    if (isArchiveError(err, 'CATALOG_NOT_FOUND')) return null;
    throw err;
  }
}

interface PipelineRun {
  seconds: number;
  lagsMs: number[];
}

/**
 * Source port → log → archiver → durable segment. With `availableAtMs` the
 * source releases events over time and the lag of each event (durable in a
 * catalogued segment minus released) is measured by watching the catalog.
 */
async function pipeline(
  events: Buffer[],
  log: { producer: LogProducer; consumer: LogConsumer; ended?: () => boolean },
  options: { availableAtMs?: (i: number) => number; segmentMaxAgeMs: number },
): Promise<PipelineRun> {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-bench-capture-'));
  try {
    const catalog = new CatalogStore(dir);
    const store = new FsBlobStore(dir);
    await catalog.init('bench');
    const source = new RecordedChangeSource(events, { batchSize: 1000, ...(options.availableAtMs ? { availableAtMs: options.availableAtMs } : {}) });
    const collector = new Collector({
      source,
      copySource: new RecordedCopySource(() => []),
      producer: log.producer,
      resumeStore: new StartBefore(clusterTimeOf(events[0])),
      log: silent,
      pollWaitMs: 20,
      heartbeatMs: 200,
    });
    const archiver = new Archiver({
      consumer: log.consumer,
      store,
      catalog,
      sourceId: 'bench',
      log: silent,
      segmentMaxBytes: 16 * 1024 * 1024,
      segmentMaxAgeMs: options.segmentMaxAgeMs,
      codec: 'deflate',
      compaction: { everyMs: null, afterEvents: null, memoryBytes: 64 << 20 },
      retention: { windowMs: null },
      pollWaitMs: 20,
      ...(log.ended ? { logEnded: log.ended } : {}),
    });
    const index = new Map<string, number>(events.map((e, i) => [(deserialize(e)._id as { _data: string })._data, i]));
    const seen = new Set<string>();
    const lagsMs: number[] = [];
    const end = lastPos(events);
    const started = process.hrtime.bigint();
    const running = Promise.all([archiver.run(), collector.run()]);
    for (;;) {
      const c = await readCatalog(catalog);
      const now = Date.now();
      if (c && options.availableAtMs) {
        for (const seg of c.segments) {
          if (seen.has(seg.id)) continue;
          seen.add(seg.id);
          for await (const e of readSegment(store, seg)) lagsMs.push(now - options.availableAtMs(index.get(e.id) ?? 0));
        }
      }
      if (c?.durable && comparePositions(parsePosition(c.durable), end) >= 0) break;
      await new Promise((r) => setTimeout(r, options.availableAtMs ? 10 : 25));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await collector.stop();
    await archiver.stop();
    await running;
    return { seconds, lagsMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The same Avro bytes through a plain kafkajs producer (acks -1) and a consumer group, nothing else. */
async function bareKafka(brokers: string[], values: Buffer[]): Promise<number> {
  const kafka = new Kafka({ brokers, clientId: 'bench-bare', logLevel: logLevel.NOTHING });
  const topic = `bench-bare-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `${topic}-g`, maxBytesPerPartition: 16 << 20 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let received = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      received += batch.messages.length;
      if (received >= values.length) done();
      await Promise.resolve();
    },
  });
  const started = process.hrtime.bigint();
  for (let i = 0; i < values.length; i += 1000) {
    await producer.send({ topic, acks: -1, messages: values.slice(i, i + 1000).map((value) => ({ value })) });
  }
  await all;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await consumer.disconnect();
  await producer.disconnect();
  return seconds;
}

/**
 * The deployed shape: `rewind collect` in its own process (the crash tests' child, a recorded source
 * releasing every event at one instant) and the archiver here. Seconds from that instant to the last
 * event durable in a catalogued segment. The clock starts at the release instant, never later: a
 * status file seen late must not shorten the measured time (it did: 175k events/s against 42k bare).
 * The child gets `leadMs` to start. One still starting at the release does not just add its start-up:
 * a fresh collector's initial copy takes "now" as its start, so the events released before it are
 * never streamed, and the durable position reaches the end at once (150k events/s against 38k bare
 * under load 11). So the archived events are counted: a run that archived fewer than `count` measured
 * nothing and returns null, for the caller to run again with more lead time.
 */
async function collectorApart(brokers: string[], count: number, log: (line: string) => void, leadMs = 8000): Promise<number | null> {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-bench-apart-'));
  const topic = `bench-apart-${Date.now()}`;
  const startAtMs = Date.now() + leadMs;
  const settings = { events: count, perSecond: 5000, seed: 42, payloadBytes: 200, batchSize: 1000, startAtMs, ratePerMs: 1e9, brokers, topic, stateFile: join(dir, 'collector.json') };
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../test/e2e/capture/capture-child.ts', import.meta.url)), 'collect', JSON.stringify(settings)], { stdio: 'ignore' });
  const archiveDir = join(dir, 'archive');
  try {
    const catalog = new CatalogStore(archiveDir);
    await catalog.init('bench');
    const consumer = await KafkaLogConsumer.open({ brokers, topic, groupId: `${topic}-g`, sessionTimeoutMs: 10_000 });
    const archiver = new Archiver({
      consumer,
      store: new FsBlobStore(archiveDir),
      catalog,
      sourceId: 'bench',
      log: silent,
      segmentMaxBytes: 16 * 1024 * 1024,
      segmentMaxAgeMs: 1000,
      codec: 'deflate',
      compaction: { everyMs: null, afterEvents: null, memoryBytes: 64 << 20 },
      retention: { windowMs: null },
      pollWaitMs: 20,
    });
    const running = archiver.run();
    const events = syntheticStream({ events: count, perSecond: 5000, payloadBytes: 200 });
    const end = lastPos(events);
    let streamingSeenAt: number | null = null;
    let archived = 0;
    for (;;) {
      if (streamingSeenAt === null) {
        const status = (await readProcessStatuses(join(dir, '.status'))).find((p) => p.process === 'collect');
        if ((status?.collector as { state?: string } | undefined)?.state === 'streaming') streamingSeenAt = Date.now();
      }
      const c = await readCatalog(catalog);
      if (c?.durable && comparePositions(parsePosition(c.durable), end) >= 0) {
        archived = c.segments.reduce((n, seg) => n + seg.count, 0);
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    const seconds = (Date.now() - startAtMs) / 1000;
    await archiver.stop();
    await running;
    if (archived < count) {
      log(`collector apart: ${archived} of ${count} events archived (the child started after the release instant, ${leadMs / 1000} s after its spawn); not counted`);
      return null;
    }
    if (streamingSeenAt === null || streamingSeenAt > startAtMs) {
      log(`collector apart: not seen streaming before the release instant; its start-up is inside the measured ${seconds.toFixed(2)} s`);
    }
    return seconds;
  } finally {
    // The child drains on SIGTERM and writes its state while it does: its folder goes once it has exited
    // (removing it at once raced those writes: ENOTEMPTY, or a folder left behind).
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Source port → KafkaLogProducer → topic → KafkaLogConsumer → archiver, in this process; seconds. */
async function kafkaPipeline(brokers: string[], events: Buffer[]): Promise<number> {
  const topic = `bench-capture-${Date.now()}`;
  const producer = await KafkaLogProducer.open({ brokers, topic });
  const consumer = await KafkaLogConsumer.open({ brokers, topic, groupId: `${topic}-g`, sessionTimeoutMs: 10_000 });
  const k = await pipeline(events, { producer, consumer }, { segmentMaxAgeMs: 1000 });
  await producer.close();
  return k.seconds;
}

/** collectorApart until a run archives every event: 8 s for the child to start, then 16 s, then 32 s; `leads` gets the one that did. */
async function collectorApartComplete(brokers: string[], count: number, log: (line: string) => void, leads: number[]): Promise<number> {
  for (const leadMs of [8000, 16_000, 32_000]) {
    const seconds = await collectorApart(brokers, count, log, leadMs);
    if (seconds !== null) {
      leads.push(leadMs);
      return seconds;
    }
  }
  throw new Error('collector apart: the `rewind collect` child was still starting 32 s after its spawn, three times; the machine is too busy to measure it');
}

type KafkaSide = 'bare' | 'pipeline' | 'apart' | 'producerPerformance';

interface KafkaRun {
  /** Best round of each side, events (records) per second; producerPerformance null when it was skipped. */
  bare: number;
  pipeline: number;
  apart: number;
  producerPerformance: { value: number; what: string } | null;
  params: Record<string, unknown>;
}

/**
 * Every Kafka side on one broker: an unmeasured warm-up (the broker's first topics and consumer group,
 * its JIT, this process's Kafka code), then `rounds` rounds whose order reverses each round, so neither
 * rewind nor a baseline always gets the fresh or the warm broker. ProducerPerformance sends as many
 * records as the others move, of the events' average Avro size.
 */
async function kafkaRounds(ctx: BenchContext, brokers: string[], events: Buffer[], values: Buffer[], rounds: number): Promise<KafkaRun> {
  const count = events.length;
  const recordSize = Math.round(values.reduce((n, v) => n + v.length, 0) / count);
  const tool = await findProducerPerformance();
  const params: Record<string, unknown> = {};
  if ('reason' in tool) {
    params.producerPerformanceSkipped = tool.reason;
    ctx.log(`Kafka's own producer (ProducerPerformance) skipped: ${tool.reason}`);
  }

  const warm = Math.max(1000, Math.floor(count / 10));
  ctx.log(`warm-up (not measured): bare kafkajs and rewind, ${warm} events each`);
  await bareKafka(brokers, values.slice(0, warm));
  await kafkaPipeline(brokers, events.slice(0, warm));

  const producerRuns: ProducerPerformanceRun[] = [];
  const apartLeads: number[] = [];
  const sides: Side<KafkaSide>[] = [
    { name: 'bare', run: async () => count / (await bareKafka(brokers, values)) },
    { name: 'pipeline', run: async () => count / (await kafkaPipeline(brokers, events)) },
    { name: 'apart', run: async () => count / (await collectorApartComplete(brokers, count, (line) => ctx.log(line), apartLeads)) },
  ];
  if (!('reason' in tool)) {
    sides.push({
      name: 'producerPerformance',
      run: async () => {
        const r = await runProducerPerformance(tool, { brokers, records: count, recordSize });
        ctx.log(`ProducerPerformance: ${r.summary.line}`);
        producerRuns.push(r);
        return r.summary.recordsPerSec;
      },
    });
  }
  const rates = await alternatingRounds(sides, rounds, (line) => ctx.log(line));

  params.kafkaRounds = {
    rule: `warm-up (${warm} events through bare kafkajs, then rewind), then ${rounds} rounds in the order ${sides.map((s) => s.name).join(', ')}, reversed every other round; best round of each`,
    eventsPerSecond: Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, v.map((r) => Math.round(r))])),
    apartLeadSeconds: apartLeads.map((ms) => ms / 1000),
  };
  let producerPerformance: KafkaRun['producerPerformance'] = null;
  if (!('reason' in tool)) {
    params.producerPerformance = {
      version: tool.version,
      jar: tool.jar,
      records: count,
      recordSize,
      recordSizeFrom: 'average Avro value size of this run\'s events (rewind\'s Kafka records also carry a key: namespace + document key)',
      producerProps: [...PRODUCER_PERFORMANCE_PROPS],
      jvm: [...PRODUCER_PERFORMANCE_JVM],
      rounds: producerRuns.map((r) => ({ ...r.summary, wallSeconds: Math.round(r.wallSeconds * 100) / 100 })),
    };
    producerPerformance = {
      value: best(rates.producerPerformance),
      what: `Kafka's own producer (ProducerPerformance ${tool.version}, Java): ${count} records of ${recordSize} B, acks=all, idempotent, 1 in flight, 1 MiB batches, same broker`,
    };
  }
  return { bare: best(rates.bare), pipeline: best(rates.pipeline), apart: best(rates.apart), producerPerformance, params };
}

async function findBrokers(ctx: BenchContext): Promise<{ brokers: string[]; stop: () => Promise<void>; kind: string } | { reason: string }> {
  const env = process.env.KAFKA_BROKERS;
  if (env) return { brokers: env.split(','), stop: () => Promise.resolve(), kind: 'KAFKA_BROKERS' };
  try {
    const { loadInstallState } = await import('../test/harness/install-manifest.js');
    const { startLocalKafka } = await import('../test/harness/local-kafka.js');
    const installed = (await loadInstallState()).server('kafka');
    if (!installed.ok) return { reason: installed.reason };
    ctx.log('starting the local Kafka broker of the test harness…');
    const running = await startLocalKafka(installed);
    return { brokers: [...running.server.brokers], stop: running.stop, kind: `local ${running.server.version}` };
  } catch (err) {
    return { reason: `no Kafka broker: ${(err as Error).message}` };
  }
}

/** Embedded pipeline with the source releasing `rate` events per second; every event's lag, sorted. */
async function measureLag(rate: number, seconds: number): Promise<number[]> {
  const events = syntheticStream({ events: rate * seconds, perSecond: 5000, payloadBytes: 200, seed: 9 });
  const t0 = Date.now() + 500;
  const log = new EmbeddedLog();
  const run = await pipeline(events, { producer: log.producer, consumer: log.consumer, ended: () => log.ended }, {
    availableAtMs: (i) => t0 + (i * 1000) / rate,
    segmentMaxAgeMs: 250,
  });
  return run.lagsMs.sort((a, b) => a - b);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const count = ctx.quick ? 40_000 : 200_000;
  const lagSeconds = ctx.quick ? 6 : 20;
  const rate = 5000;
  const figures: Figure[] = [];
  const params: Record<string, unknown> = { events: count, lagRate: rate, lagSeconds };

  const { result, peakRssBytes } = await peakRss(async () => {
    // Lag first, with only its own events in memory: the throughput fixture (the raw events and their
    // Avro bytes for the bare clients) is the bench's, and its collection pauses are not rewind's lag.
    const sorted = await measureLag(rate, lagSeconds);
    ctx.log(`lag at ${rate}/s: p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms (${sorted.length} events)`);

    const events = syntheticStream({ events: count, perSecond: 5000, payloadBytes: 200 });
    const values = events.map((e, i) => changeEventType.toBuffer(normalizeChangeEvent(e, { index: i, fullDocumentMode: 'whenAvailable' })));
    const bytes = values.reduce((n, v) => n + v.length, 0);
    params.avroBytes = bytes;
    ctx.log(`${count} events, ${(bytes / 1e6).toFixed(1)} MB as Avro`);
    const embedded = await pipeline(events, (() => {
      const log = new EmbeddedLog();
      return { producer: log.producer, consumer: log.consumer, ended: () => log.ended };
    })(), { segmentMaxAgeMs: 1000 });
    ctx.log(`embedded: ${(count / embedded.seconds).toFixed(0)} events/s`);

    const broker = await findBrokers(ctx);
    let kafka: KafkaRun | null = null;
    if ('brokers' in broker) {
      try {
        params.kafka = broker.kind;
        kafka = await kafkaRounds(ctx, broker.brokers, events, values, ctx.quick ? 2 : 3);
        Object.assign(params, kafka.params);
        ctx.log(`kafka, collector in its own process: ${kafka.apart.toFixed(0)} events/s (best round)`);
        ctx.log(`kafka: ${kafka.pipeline.toFixed(0)} events/s; bare kafkajs ${kafka.bare.toFixed(0)} events/s (best rounds)`);
        if (kafka.producerPerformance) ctx.log(`Kafka's own producer: ${kafka.producerPerformance.value.toFixed(0)} records/s (best round)`);
      } finally {
        await broker.stop();
      }
    } else {
      params.kafkaSkipped = broker.reason;
      ctx.log(`Kafka figures skipped: ${broker.reason}`);
    }
    return { embedded: count / embedded.seconds, sorted, kafka };
  });

  const bare = result.kafka ? { what: 'bare kafkajs producer + consumer group, same Avro bytes, same broker', value: result.kafka.bare } : undefined;
  figures.push({ metric: 'embedded: source port → durable segment', unit: 'events/s', value: result.embedded, ...(bare ? { baseline: bare } : {}) });
  if (result.kafka && bare) {
    figures.push({ metric: 'kafka: source port → Kafka → durable segment, one process', unit: 'events/s', value: result.kafka.pipeline, baseline: bare, target: '≥ 0.9' });
    figures.push({ metric: 'kafka: `rewind collect` process → Kafka → archiver', unit: 'events/s', value: result.kafka.apart, baseline: bare, target: '≥ 0.8' });
    // Against the broker's limit: reported, no target yet (issue 12).
    const own = result.kafka.producerPerformance;
    if (own) {
      const baseline = { what: own.what, value: own.value };
      figures.push({ metric: "kafka: source port → Kafka → durable segment, one process, vs Kafka's own producer", unit: 'events/s', value: result.kafka.pipeline, baseline });
      figures.push({ metric: "kafka: `rewind collect` process → Kafka → archiver, vs Kafka's own producer", unit: 'events/s', value: result.kafka.apart, baseline });
      figures.push({ metric: "bare kafkajs producer + consumer group vs Kafka's own producer", unit: 'events/s', value: result.kafka.bare, baseline });
    }
  }
  figures.push({ metric: `lag p50 at ${rate} events/s (embedded)`, unit: 'ms', value: percentile(result.sorted, 50), lowerIsBetter: true, target: 'p99 < 1000 ms' });
  figures.push({ metric: `lag p99 at ${rate} events/s (embedded)`, unit: 'ms', value: percentile(result.sorted, 99), lowerIsBetter: true, target: '< 1000 ms' });
  figures.push({ metric: 'peak resident memory', unit: 'MB', value: Math.round(peakRssBytes / 1e5) / 10, lowerIsBetter: true });
  return { figures, params };
}


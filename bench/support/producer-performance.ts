/**
 * Kafka's own producer as a baseline: ProducerPerformance from the kafka-tools
 * jar that `npm run test:servers` installs beside the broker (same pom, same
 * version), run as Kafka's kafka-producer-perf-test.sh runs it, against a
 * topic of its own on the benchmark's broker. Its figures are its own final
 * summary line, parsed here; nothing is estimated. Without Java or the jar
 * there is no figure, and the reason says why.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { TEST_SERVERS_DIR, loadInstallState } from '../../test/harness/install-manifest.js';

const MAIN_CLASS = 'org.apache.kafka.tools.ProducerPerformance';

/**
 * The producer settings of the comparison: rewind's own (every in-sync replica acknowledges, idempotent,
 * one request in flight), and batches of up to 1 MiB. With one request in flight a request carries at
 * most one batch per partition, so the default batch.size (16 KB, ~47 records of 343 B) caps every
 * request far below the 1,000 records that rewind and bare kafkajs send in one: measured here, 26–48k
 * records/s at 16 KB against 83–103k at 360 KB–1 MiB. 1 MiB is the producer's default max.request.size
 * (and about the broker's default message.max.bytes), the largest request it sends unconfigured.
 */
export const PRODUCER_PERFORMANCE_PROPS = ['acks=all', 'enable.idempotence=true', 'max.in.flight.requests.per.connection=1', 'batch.size=1048576'] as const;

/**
 * kafka-producer-perf-test.sh's JVM: its heap (KAFKA_HEAP_OPTS) and kafka-run-class.sh's
 * KAFKA_JVM_PERFORMANCE_OPTS, so the baseline is the tool as Kafka ships it (the test broker's
 * C1-only start-up options would slow it). An English locale: the summary's decimals are parsed.
 */
export const PRODUCER_PERFORMANCE_JVM = [
  '-Xmx512M',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
  '-Duser.language=en',
  '-Duser.country=US',
] as const;

export interface ProducerPerformanceTool {
  version: string;
  jar: string;
  /** The kafka jars folder: the tool needs kafka-clients, server-common, argparse4j and slf4j from it. */
  classpath: string;
}

/** The final summary line of a run: every figure ProducerPerformance prints at the end. */
export interface ProducerPerformanceSummary {
  /** Records acknowledged (a failed send is not counted). */
  records: number;
  recordsPerSec: number;
  /** MiB per second of record values (ProducerPerformance divides by 1024 × 1024). */
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  line: string;
}

export interface ProducerPerformanceRun {
  summary: ProducerPerformanceSummary;
  /** The whole java process, JVM start-up included (the summary's own clock starts after it). */
  wallSeconds: number;
}

// 3.9: "%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency,
// %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th." The progress lines every 5 s have no percentiles.
const NUMBER = String.raw`(\d+(?:\.\d+)?)`;
const SUMMARY = new RegExp(
  String.raw`^(\d+) records sent, ${NUMBER} records/sec \(${NUMBER} MB/sec\), ${NUMBER} ms avg latency, ${NUMBER} ms max latency, ` +
    String.raw`(\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$`,
);

/** The last summary line of ProducerPerformance's output, or null when it printed none (it failed, or the format changed). */
export function parseProducerPerformanceSummary(output: string): ProducerPerformanceSummary | null {
  const lines = output.split(/\r?\n/).map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    const m = SUMMARY.exec(line);
    if (!m) continue;
    const n = (k: number) => Number(m[k]);
    return {
      records: n(1),
      recordsPerSec: n(2),
      mbPerSec: n(3),
      avgLatencyMs: n(4),
      maxLatencyMs: n(5),
      p50Ms: n(6),
      p95Ms: n(7),
      p99Ms: n(8),
      p999Ms: n(9),
      line,
    };
  }
  return null;
}

/** The installed tool, or why there is none (no Java, no Maven, the jar missing): the figure is then skipped. */
export async function findProducerPerformance(): Promise<ProducerPerformanceTool | { reason: string }> {
  let installed;
  try {
    installed = (await loadInstallState()).server('kafka');
  } catch (err) {
    return { reason: `the test-server install could not be read: ${(err as Error).message}` };
  }
  if (!installed.ok) return { reason: installed.reason };
  const jar = installed.tools['kafka-tools'];
  if (jar === undefined) return { reason: `the kafka-tools ${installed.version} jar is not in the test-server manifest (run npm run test:servers)` };
  // The manifest remembers the Java of its install; PATH may have changed since.
  try {
    await promisify(execFile)('java', ['-version'], { timeout: 30_000 });
  } catch (err) {
    return { reason: `java cannot be run (${(err as Error).message}); install a JDK 17+ to measure Kafka's own producer` };
  }
  return { version: installed.version, jar, classpath: join(installed.dir, '*') };
}

/**
 * One ProducerPerformance run: `records` records of `recordSize` bytes (no key, as bare kafkajs sends
 * them), unthrottled, into a new one-partition topic. Throws when the tool fails or acknowledges fewer
 * records than asked: a partial run is no baseline.
 */
export async function runProducerPerformance(
  tool: ProducerPerformanceTool,
  options: { brokers: string[]; records: number; recordSize: number },
): Promise<ProducerPerformanceRun> {
  const topic = `bench-producer-perf-${Date.now()}`;
  const kafka = new Kafka({ brokers: options.brokers, clientId: 'bench-producer-perf', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const args = [
    ...PRODUCER_PERFORMANCE_JVM,
    `-Dlog4j.configuration=file:${join(TEST_SERVERS_DIR, 'kafka', 'tools-log4j.properties')}`,
    '-cp',
    tool.classpath,
    MAIN_CLASS,
    '--topic',
    topic,
    '--num-records',
    String(options.records),
    '--record-size',
    String(options.recordSize),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${options.brokers.join(',')}`,
    ...PRODUCER_PERFORMANCE_PROPS,
  ];
  const started = process.hrtime.bigint();
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await promisify(execFile)('java', args, { timeout: 10 * 60_000, maxBuffer: 16 << 20 }));
  } catch (err) {
    const failed = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`ProducerPerformance failed: ${failed.message}\n${`${failed.stdout ?? ''}${failed.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n')}`, { cause: err });
  }
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = parseProducerPerformanceSummary(stdout);
  if (!summary) throw new Error(`ProducerPerformance printed no summary line:\n${`${stdout}${stderr}`.trim().split('\n').slice(-15).join('\n')}`);
  if (summary.records !== options.records) {
    throw new Error(`ProducerPerformance acknowledged ${summary.records} of ${options.records} records:\n${stderr.trim().split('\n').slice(-15).join('\n')}`);
  }
  return { summary, wallSeconds };
}

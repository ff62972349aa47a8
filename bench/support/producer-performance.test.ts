// The ProducerPerformance summary parser, fed lines Kafka 3.9.2's tool printed on this machine.
import { describe, expect, it } from 'vitest';
import { parseProducerPerformanceSummary } from './producer-performance.js';

// From `npm run bench -- capture --quick` (round 1 of bench/results/capture.json).
const BENCH_RUN = '40000 records sent, 17905.102954 records/sec (5.86 MB/sec), 988.18 ms avg latency, 1449.00 ms max latency, 1056 ms 50th, 1401 ms 95th, 1438 ms 99th, 1448 ms 99.9th.\n';

// A run longer than 5 s: one progress line (no percentiles), then the summary (200,000 records of 343 B, 16 KB batches).
const WITH_PROGRESS = [
  '104793 records sent, 20958.6 records/sec (6.86 MB/sec), 2388.4 ms avg latency, 3348.0 ms max latency.',
  '200000 records sent, 25873.221216 records/sec (8.46 MB/sec), 2651.43 ms avg latency, 3348.00 ms max latency, 2826 ms 50th, 3194 ms 95th, 3327 ms 99th, 3345 ms 99.9th.',
  '',
].join('\n');

describe('parseProducerPerformanceSummary', () => {
  it('reads every figure of the final summary line', () => {
    expect(parseProducerPerformanceSummary(BENCH_RUN)).toEqual({
      records: 40000,
      recordsPerSec: 17905.102954,
      mbPerSec: 5.86,
      avgLatencyMs: 988.18,
      maxLatencyMs: 1449,
      p50Ms: 1056,
      p95Ms: 1401,
      p99Ms: 1438,
      p999Ms: 1448,
      line: BENCH_RUN.trim(),
    });
  });

  it('takes the summary, not a progress line before it', () => {
    const summary = parseProducerPerformanceSummary(WITH_PROGRESS);
    expect(summary?.records).toBe(200000);
    expect(summary?.recordsPerSec).toBe(25873.221216);
    expect(summary?.p999Ms).toBe(3345);
  });

  it('finds none in progress lines alone or in a line cut short', () => {
    expect(parseProducerPerformanceSummary(WITH_PROGRESS.split('\n')[0] as string)).toBeNull();
    expect(parseProducerPerformanceSummary(BENCH_RUN.slice(0, BENCH_RUN.indexOf(', 1438 ms')))).toBeNull();
    expect(parseProducerPerformanceSummary('')).toBeNull();
  });

  it('reads the summary among log lines and CRLF endings', () => {
    const output = `[2026-12-04 20:15:40,123] WARN something (org.apache.kafka.clients.NetworkClient)\r\n${BENCH_RUN.replace('\n', '\r\n')}`;
    expect(parseProducerPerformanceSummary(output)?.recordsPerSec).toBe(17905.102954);
  });
});

// The ProducerPerformance summary parser, fed lines Kafka 3.9.2's tool printed on this machine.
import { describe, expect, it } from 'vitest';
import { parseProducerPerformanceSummary } from './producer-performance.js';

// Round 1 of a `npm run bench -- capture --quick` run here (2026-12-04; 40,000 records of 343 B, 1 in flight, 16 KB batches).
const BENCH_RUN = '40000 records sent, 17905.102954 records/sec (5.86 MB/sec), 988.18 ms avg latency, 1449.00 ms max latency, 1056 ms 50th, 1401 ms 95th, 1438 ms 99th, 1448 ms 99.9th.\n';

// A run here longer than 5 s, by hand against the test broker: one progress line (no percentiles), then the
// summary (200,000 records of 343 B, 16 KB batches).
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

  it('reads the full run of the same day (200,000 records of 344 B, 1 MiB batches)', () => {
    const line = '200000 records sent, 91074.681239 records/sec (29.88 MB/sec), 183.07 ms avg latency, 419.00 ms max latency, 233 ms 50th, 317 ms 95th, 387 ms 99th, 389 ms 99.9th.';
    expect(parseProducerPerformanceSummary(`${line}\n`)).toMatchObject({ records: 200000, recordsPerSec: 91074.681239, mbPerSec: 29.88, p50Ms: 233, p99Ms: 387 });
  });

  it('reads the summary among log lines and CRLF endings', () => {
    const output = `[2026-12-04 20:15:40,123] WARN something (org.apache.kafka.clients.NetworkClient)\r\n${BENCH_RUN.replace('\n', '\r\n')}`;
    expect(parseProducerPerformanceSummary(output)?.recordsPerSec).toBe(17905.102954);
  });
});

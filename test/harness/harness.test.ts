// Pure tests of the harness's own helpers (no server needed).
import { describe, expect, it } from 'vitest';
import { formatBanner, unavailable } from './server-info.js';
import { formatSkipSummary } from './skip-summary-reporter.js';
import { uniqueBucket, uniqueDatabase, uniqueTopic } from './unique-names.js';

describe('harness helpers', () => {
  it('gives every call its own legal topic and database name', () => {
    const topics = Array.from({ length: 200 }, () => uniqueTopic('eventlog: a/b'));
    const databases = Array.from({ length: 200 }, () => uniqueDatabase('restore.into $x'));
    expect(new Set(topics).size).toBe(200);
    expect(new Set(databases).size).toBe(200);
    for (const topic of topics) {
      expect(topic).toMatch(/^[A-Za-z0-9._-]{1,249}$/);
      expect(topic).toContain('eventlog-a-b');
    }
    const buckets = Array.from({ length: 200 }, () => uniqueBucket('S3 Blob.Store'));
    expect(new Set(buckets).size).toBe(200);
    for (const bucket of buckets) expect(bucket).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    for (const database of databases) {
      expect(database).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.byteLength(database)).toBeLessThan(64);
    }
  });

  it('prints one line naming each server with kind and version, or why it is missing', () => {
    expect(
      formatBanner({
        kafka: { available: true, kind: 'local', version: '3.9.2', brokers: ['127.0.0.1:1'] },
        wire: { available: true, kind: 'mongo-java-server', version: '1.47.0', uri: 'mongodb://127.0.0.1:2/' },
        replica: unavailable('no mongod on this machine; set REWIND_TEST_MONGODB_URI'),
        s3: { available: true, kind: 'local', version: '4.1.0', endpoint: 'http://127.0.0.1:3', region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'b' },
      }),
    ).toBe(
      'kafka: local 3.9.2 · mongo-wire: mongo-java-server 1.47.0 · mongo-replica: none (no mongod on this machine; set REWIND_TEST_MONGODB_URI) · s3: local 4.1.0',
    );
  });

  it('summarizes skipped tests per reason, most frequent first', () => {
    expect(formatSkipSummary(new Map())).toBe('skipped tests: none');
    expect(formatSkipSummary(new Map([['b', 1], ['a', 3]]))).toBe('skipped tests: 4, by reason:\n     3 × a\n     1 × b');
  });
});

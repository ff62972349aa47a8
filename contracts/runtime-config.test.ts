import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { archiveAccessFromEnv, kafkaTopicName, loadArchiveRunConfig, loadCollectConfig, loadUpConfig } from './runtime-config.js';

function file(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-config-'));
  const path = join(dir, 'rewind.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('runtime configuration', () => {
  it('reads the file, lets REWIND_* override it and flags override both, and fills defaults', () => {
    const path = file({ sourceId: 'shop', mongo: { uri: 'mongodb://a:27017', exclude: ['shop.tmp*'] }, archive: { dir: '/a', segmentMaxAgeMs: '30s' } });
    const c = loadUpConfig({ file: path, env: { REWIND_ARCHIVE_DIR: '/b', REWIND_RETENTION_WINDOW: '7d' }, overrides: { mongo: { uri: 'mongodb://c:27017' } } });
    expect(c.mongo.uri).toBe('mongodb://c:27017');
    expect(c.mongo.exclude).toEqual(['shop.tmp*']);
    expect(c.mongo.include).toEqual(['*']);
    expect(c.archive.dir).toBe('/b');
    expect(c.archive.segmentMaxAgeMs).toBe(30_000);
    expect(c.retention.windowMs).toBe(7 * 86_400_000);
    expect(c.compaction.afterEvents).toBe(1_000_000);
    expect(Object.isFrozen(c.mongo)).toBe(true);
  });

  it('names the bad field', () => {
    const e = configError(() => loadUpConfig({ env: { REWIND_MONGO_URI: 'http://x', REWIND_ARCHIVE_DIR: '/a', REWIND_SEGMENT_MAX_AGE: 'soon' } }));
    expect(e.issues.map((i) => i.path).sort()).toEqual(['archive.segmentMaxAgeMs', 'mongo.uri']);
    expect(e.message).toMatch(/mongo\.uri: expected a mongodb:\/\//);
  });

  it('takes a plain byte count from the environment, and refuses Infinity, zero and durations without a unit', () => {
    const env = { REWIND_MONGO_URI: 'mongodb://a:27017', REWIND_ARCHIVE_DIR: '/a' };
    expect(loadUpConfig({ env: { ...env, REWIND_SEGMENT_MAX_BYTES: '1048576' } }).archive.segmentMaxBytes).toBe(1_048_576);
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ REWIND_SEGMENT_MAX_BYTES: `${'9'.repeat(400)}gib` }, 'archive.segmentMaxBytes', /too large/],
      [{ REWIND_SEGMENT_MAX_BYTES: '0' }, 'archive.segmentMaxBytes', /more than 0/],
      [{ REWIND_COMPACTION_EVERY: '0ms' }, 'compaction.everyMs', /more than 0/],
      [{ REWIND_RETENTION_WINDOW: '0d' }, 'retention.windowMs', /more than 0/],
      [{ REWIND_SEGMENT_MAX_AGE: '60' }, 'archive.segmentMaxAgeMs', /give a unit/],
      [{ REWIND_COMPACTION_AFTER_EVENTS: 'many' }, 'compaction.afterEvents', /number/],
      [{ REWIND_COMPACTION_AFTER_EVENTS: '1e400' }, 'compaction.afterEvents', /./],
      [{ REWIND_INCLUDE: 'shop.*', REWIND_EXCLUDE: 'shop.*' }, 'mongo.exclude.0', /contradict/],
    ];
    for (const [over, path, message] of cases) {
      const e = configError(() => loadUpConfig({ env: { ...env, ...over } }));
      expect(e.issues.map((i) => i.path), JSON.stringify(over)).toEqual([path]);
      expect(e.issues[0]?.message).toMatch(message);
    }
  });

  it('rejects unknown keys and a file that is not JSON', () => {
    const e = configError(() => loadUpConfig({ file: file({ mongo: { uri: 'mongodb://a', bogus: 1 }, archive: { dir: '/a' } }) }));
    expect(e.message).toMatch(/bogus/);
    expect(e.issues[0]?.path).toMatch(/^mongo/);
    expect(configError(() => loadUpConfig({ file: file('{ nope') })).message).toMatch(/rewind\.json is not a JSON object/);
  });

  it('takes Kafka from the environment for collect and archive, with the topic named after the source', () => {
    const env = { REWIND_KAFKA_BROKERS: 'k1:9092, k2:9092', REWIND_MONGO_URI: 'mongodb://m', REWIND_STATE_FILE: '/s.json', REWIND_ARCHIVE_DIR: '/a', REWIND_SOURCE_ID: 'prod' };
    const collect = loadCollectConfig({ env });
    expect(collect.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(kafkaTopicName(collect)).toBe('rewind.prod.events');
    const archive = loadArchiveRunConfig({ env });
    expect(archive.archive.dir).toBe('/a');
    expect(configError(() => loadCollectConfig({ env: { ...env, REWIND_KAFKA_BROKERS: 'nohost' } })).issues[0]?.path).toBe('kafka.brokers.0');
  });

  it('takes an s3:// archive with its S3 settings from the file or REWIND_S3_*, and names bad ones', () => {
    const path = file({ mongo: { uri: 'mongodb://a:27017' }, archive: { dir: 's3://backups/prod/shop', s3: { endpoint: 'http://127.0.0.1:9000', partBytes: '16MiB' } } });
    const c = loadUpConfig({ file: path, env: { REWIND_S3_ADDRESSING: 'path', REWIND_S3_REGION: 'eu-west-1' } });
    expect(c.archive.dir).toBe('s3://backups/prod/shop');
    expect(c.archive.s3).toEqual({ endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', addressing: 'path', partBytes: 16 * 1024 * 1024, maxAttempts: 8, leaseMs: 30_000 });
    const bad = configError(() =>
      loadUpConfig({
        file: file({ mongo: { uri: 'mongodb://a:27017' }, archive: { dir: 's3://Bad_Bucket/x', s3: { partBytes: '1MiB', addresing: 'path', endpoint: 'ftp://x' } } }),
      }),
    );
    expect(bad.issues.map((i) => i.path).sort()).toEqual(['archive.dir', 'archive.s3.addresing', 'archive.s3.endpoint', 'archive.s3.partBytes']);
    expect(bad.issues.find((i) => i.path === 'archive.s3.addresing')?.message).toBe('unknown key');
    expect(archiveAccessFromEnv({ REWIND_S3_ENDPOINT: 'https://s3.example.test' }).s3).toMatchObject({ endpoint: 'https://s3.example.test', addressing: 'virtual-host' });
    expect(configError(() => archiveAccessFromEnv({ REWIND_S3_ADDRESSING: 'sideways' })).issues[0]?.path).toBe('archive.s3.addressing');
  });

  it('takes encryption keys from the file or REWIND_ENCRYPTION_KEY(S); a writing process must name the active key', () => {
    const c = loadUpConfig({ env: { REWIND_MONGO_URI: 'mongodb://a:27017', REWIND_ARCHIVE_DIR: '/a', REWIND_ENCRYPTION_KEYS: 'k1=file:/keys/k1,k2=env:K2', REWIND_ENCRYPTION_KEY: 'k2' } });
    expect(c.archive.encryption).toEqual({ key: 'k2', keys: { k1: { file: '/keys/k1' }, k2: { env: 'K2' } } });
    const e = configError(() => loadUpConfig({ env: { REWIND_MONGO_URI: 'mongodb://a:27017', REWIND_ARCHIVE_DIR: '/a', REWIND_ENCRYPTION_KEYS: 'k1=file:/keys/k1' } }));
    expect(e.issues).toEqual([{ path: 'archive.encryption.key', message: expect.stringMatching(/needs the active master key/) as unknown }]);
    // Read-only commands may load keys without an active one.
    expect(archiveAccessFromEnv({ REWIND_ENCRYPTION_KEYS: 'k1=env:K1' }).encryption).toEqual({ keys: { k1: { env: 'K1' } } });
  });
});

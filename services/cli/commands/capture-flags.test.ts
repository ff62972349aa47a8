import { describe, expect, it } from 'vitest';
import { loadArchiveRunConfig, loadCollectConfig, loadUpConfig } from '../../../contracts/runtime-config.js';
import { archiveDirOverride, commonOverrides, kafkaOverrides, mongoOverrides } from './capture-flags.js';

describe('capture flags as configuration overrides', () => {
  it('adds nothing for flags that were not given, so env and file keep their values', () => {
    expect({ ...commonOverrides({}), ...mongoOverrides({ include: [], exclude: [] }), ...kafkaOverrides({}), ...archiveDirOverride(undefined) }).toEqual({});
    const c = loadUpConfig({ env: { REWIND_SOURCE_URI: 'mongodb://env', REWIND_ARCHIVE_DIR: '/env' }, overrides: { ...mongoOverrides({ include: ['a.*'], exclude: [] }) } });
    expect(c.mongo.uri).toBe('mongodb://env');
    expect(c.archive.dir).toBe('/env');
    expect(c.mongo.include).toEqual(['a.*']);
  });

  it('flags win over the environment', () => {
    const env = { REWIND_SOURCE_URI: 'mongodb://env', REWIND_KAFKA_BROKERS: 'env:9092', REWIND_STATE_FILE: '/s.json', REWIND_ARCHIVE_DIR: '/env' };
    const collect = loadCollectConfig({ env, overrides: { ...commonOverrides({ sourceId: 'prod' }), ...kafkaOverrides({ kafkaBrokers: 'k1:9092, k2:9092', kafkaTopic: 't' }), ...mongoOverrides({ sourceUri: 'mongodb://flag', include: [], exclude: ['x.*'] }) } });
    expect(collect.sourceId).toBe('prod');
    expect(collect.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(collect.kafka.topic).toBe('t');
    expect(collect.mongo.uri).toBe('mongodb://flag');
    expect(collect.mongo.exclude).toEqual(['x.*']);
    const archive = loadArchiveRunConfig({ env, overrides: { ...archiveDirOverride('/flag'), ...kafkaOverrides({ kafkaGroup: 'g' }), ...commonOverrides({ logLevel: 'warn' }) } });
    expect(archive.archive.dir).toBe('/flag');
    expect(archive.kafka.groupId).toBe('g');
    expect(archive.kafka.brokers).toEqual(['env:9092']);
    expect(archive.logLevel).toBe('warn');
  });

  it('still reads the old REWIND_MONGO_URI, says it is deprecated, and lets REWIND_SOURCE_URI win', () => {
    const told: string[] = [];
    const onDeprecated = (name: string, by: string) => told.push(`${name}->${by}`);
    const old = loadUpConfig({ env: { REWIND_MONGO_URI: 'mongodb://old', REWIND_ARCHIVE_DIR: '/a' }, onDeprecated });
    expect(old.mongo.uri).toBe('mongodb://old');
    expect(told).toEqual(['REWIND_MONGO_URI->REWIND_SOURCE_URI']);
    const both = loadUpConfig({ env: { REWIND_MONGO_URI: 'mongodb://old', REWIND_SOURCE_URI: 'mongodb://new', REWIND_ARCHIVE_DIR: '/a' }, onDeprecated });
    expect(both.mongo.uri).toBe('mongodb://new');
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeploymentIdentity } from '../../contracts/index.js';
import { CatalogStore, FsBlobStore } from '../archive/index.js';
import { EmbeddedLog } from '../eventlog/embedded-log.js';
import { decodeRecord, encodeRecord } from '../eventlog/kafka-record-codec.js';
import { unpackMessages } from '../eventlog/kafka-producer-protocol.js';
import { packRecords } from '../eventlog/kafka-record-packer.js';
import type { LogRecord } from '../eventlog/log-record.js';
import { Archiver } from './archiver.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const rs: DeploymentIdentity = { kind: 'replica-set', setName: 'rs0', replicaSetId: '65f0c0ffee00000000000001' };

describe('the source deployment in the catalog', () => {
  it('the archiver records what the collector announced, once, and ignores a standalone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-source-'));
    dirs.push(dir);
    const catalog = new CatalogStore(dir);
    const log = new EmbeddedLog();
    const archiver = new Archiver({
      consumer: log.consumer,
      store: new FsBlobStore(dir),
      catalog,
      sourceId: 'test',
      log: pino({ level: 'silent' }),
      segmentMaxBytes: 1 << 20,
      segmentMaxAgeMs: 50,
      codec: 'deflate',
      compaction: { everyMs: null, afterEvents: null, memoryBytes: 16 << 20 },
      retention: { windowMs: null },
      pollWaitMs: 10,
      logEnded: () => log.ended,
    });
    const running = archiver.run();
    // A restart announces again; a re-delivery repeats the record.
    for (const deployment of [rs, rs, { kind: 'standalone' } as const]) await log.producer.publish([{ kind: 'source', deployment }]);
    await log.producer.close();
    await running;
    const c = await catalog.read();
    expect(c.deployments?.map((d) => d.identity)).toEqual([rs]);
    expect(Date.parse(c.deployments?.[0]?.firstSeenAt ?? '')).toBeGreaterThan(0);
  });

  it('travels through Kafka as a control record', () => {
    const record: LogRecord = { kind: 'source', deployment: rs };
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
    const [message] = unpackMessages(packRecords([record]));
    expect(message && decodeRecord(message)).toEqual(record);
  });
});

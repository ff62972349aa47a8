import { Buffer } from 'node:buffer';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal128, Double, Int32, Long, ObjectId, Timestamp, serialize } from '../../../contracts/bson.js';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CatalogStore, FsBlobStore, readSnapshotNamespace } from '../../../services/archive/index.js';
import { Archiver } from '../../../services/archiver/archiver.js';
import { Collector } from '../../../services/collector/collector.js';
import { mongoClientOptions } from '../../../services/collector/mongo-change-source.js';
import { MongoCopySource } from '../../../services/collector/mongo-copy-source.js';
import { CatalogResumeStore } from '../../../services/collector/resume-store.js';
import { RecordedChangeSource, eventBytes } from '../../../services/collector/testing/recorded-change-source.js';
import { EmbeddedLog } from '../../../services/eventlog/embedded-log.js';
import { describeWith, uniqueDatabase } from '../../harness/index.js';

const silent = pino({ level: 'silent' });

describeWith('wire', 'initial copy through a MongoDB wire server', (server) => {
  let client: MongoClient;
  let db: string;
  let dir: string;
  const orders = Array.from({ length: 2500 }, (_, i) => ({
    _id: new Int32(i),
    sku: `sku-${i % 17}`,
    qty: new Long(i * 3),
    price: new Double(i + 0.25),
    total: Decimal128.fromString(`${i}.10`),
    at: new Date(1_700_000_000_000 + i),
    ts: new Timestamp({ t: 1_700_000_000, i }),
    ref: new ObjectId(`6772a1f0c2b3a4d5${i.toString(16).padStart(8, '0')}`),
    tags: ['a', { nested: true }],
  }));

  beforeAll(async () => {
    client = new MongoClient(server.uri, { ...mongoClientOptions, serverSelectionTimeoutMS: 10_000 });
    db = uniqueDatabase('copy');
    dir = await mkdtemp(join(tmpdir(), 'rewind-copy-'));
    await client.db(db).command({ insert: 'orders', documents: orders, ordered: true });
    await client.db(db).collection('orders').createIndexes([
      { key: { sku: 1, qty: -1 }, name: 'sku_qty' },
      { key: { ref: 1 }, name: 'ref_unique', unique: true, sparse: true },
    ]);
    await client.db(db).createCollection('empty');
    await client.db(db).command({ insert: 'skipped', documents: [{ _id: 1 }] });
  });

  afterAll(async () => {
    await client?.db(db).dropDatabase().catch(() => undefined);
    await client?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('copies every captured collection with its indexes into the base snapshot, documents byte for byte in key order', async () => {
    const store = new FsBlobStore(dir);
    const catalog = new CatalogStore(dir);
    await catalog.init('copy-test');
    const log = new EmbeddedLog();
    // No change events: the stream is idle while the copy runs (its content is not what this test is about).
    const source = new RecordedChangeSource(eventBytes([{ _id: { _data: '8265000000000000012B04' }, clusterTime: new Timestamp({ t: 1_690_000_000, i: 1 }) }]));
    const collector = new Collector({
      source,
      copySource: new MongoCopySource(client),
      producer: log.producer,
      resumeStore: new CatalogResumeStore(() => catalog.read()),
      log: silent,
      scope: { include: [`${db}.*`], exclude: [`${db}.skipped`] },
      pollWaitMs: 20,
      copyBatchSize: 300,
    });
    const archiver = new Archiver({
      consumer: log.consumer,
      store,
      catalog,
      sourceId: 'copy-test',
      log: silent,
      segmentMaxBytes: 1 << 20,
      segmentMaxAgeMs: 100,
      codec: 'deflate',
      compaction: { everyMs: null, afterEvents: null, memoryBytes: 32 << 20 },
      retention: { windowMs: null },
      pollWaitMs: 20,
      logEnded: () => log.ended,
    });
    const running = Promise.all([collector.run(), archiver.run()]);
    const deadline = Date.now() + 30_000;
    while ((await catalog.read()).snapshots.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await collector.stop();
    await running;

    const c = await catalog.read();
    expect(c.snapshots).toHaveLength(1);
    const snap = c.snapshots[0];
    if (!snap) throw new Error('no snapshot');
    expect(snap.kind).toBe('initial-copy');
    expect(snap.namespaces.map((n) => n.ns).sort()).toEqual([`${db}.empty`, `${db}.orders`]);
    const ordersNs = snap.namespaces.find((n) => n.ns === `${db}.orders`);
    if (!ordersNs) throw new Error('orders missing');
    expect(ordersNs.count).toBe(orders.length);
    expect(ordersNs.metadata.indexes.map((i) => i.name).sort()).toEqual(['_id_', 'ref_unique', 'sku_qty']);
    const unique = ordersNs.metadata.indexes.find((i) => i.name === 'ref_unique');
    expect(unique?.unique).toBe(true);
    expect(c.collections.map((m) => m.ns).sort()).toEqual([`${db}.empty`, `${db}.orders`]);

    const got: Buffer[] = [];
    for await (const r of readSnapshotNamespace(store, ordersNs)) got.push(Buffer.from(r.document));
    expect(got.map((b) => b.toString('hex'))).toEqual(orders.map((o) => Buffer.from(serialize(o)).toString('hex')));
  });
});

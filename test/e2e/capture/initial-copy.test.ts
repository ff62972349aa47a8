import { Buffer } from 'node:buffer';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal128, Double, Int32, Long, ObjectId, Timestamp, serialize } from '../../../contracts/bson.js';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mongoClientOptions } from '../../../services/collector/mongo-change-source.js';
import { readSnapshotNamespace } from '../../../services/archive/index.js';
import { copyIntoArchive } from './copy-into-archive.js';
import { describeWith, uniqueDatabase } from '../../harness/index.js';


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
    const { store, catalog: c } = await copyIntoArchive({ client, dir, sourceId: 'copy-test', scope: { include: [`${db}.*`], exclude: [`${db}.skipped`] }, copyBatchSize: 300 });
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

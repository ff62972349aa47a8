/**
 * `rewind up` against a real replica set under a write load: every change the
 * load makes is archived exactly once, in order, transactions included, and a
 * base snapshot compacted at the end equals the live collection byte for byte.
 * Needs a real MongoDB (REWIND_TEST_MONGODB_URI or a container runtime);
 * skipped with the reason elsewhere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import { Int32 } from '../../../contracts/bson.js';
import type { Timestamp } from 'bson';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { comparePositions, parsePosition, positionFromTimestamp } from '../../../contracts/index.js';
import { loadUpConfig } from '../../../contracts/runtime-config.js';
import { CatalogStore, FsBlobStore, readSegment, readSnapshotNamespace } from '../../../services/archive/index.js';
import { runUp } from '../../../services/app/index.js';
import { mongoClientOptions } from '../../../services/collector/mongo-change-source.js';
import { describeWith, uniqueDatabase } from '../../harness/index.js';
import { ejsonToBson } from '../../../contracts/ejson-to-bson.js';
import { OrderedDocument, documentForDriver } from '../../../services/restore/driver-document.js';

describeWith('replica', 'rewind up against a real replica set', (server) => {
  it('archives a write load exactly once and compacts to the live state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rewind-replica-up-'));
    const db = uniqueDatabase('up');
    const client = new MongoClient(server.uri, { ...mongoClientOptions });
    const controller = new AbortController();
    try {
      const config = loadUpConfig({
        overrides: {
          sourceId: 'replica-test',
          logLevel: 'warn',
          mongo: { uri: server.uri, include: [`${db}.*`], pollWaitMs: 200 },
          archive: { dir, segmentMaxAgeMs: 200 },
          compaction: { everyMs: null, afterEvents: null },
        },
      });
      const running = runUp({ config, log: pino({ level: 'warn' }), signal: controller.signal });
      const catalog = new CatalogStore(dir);
      const waitUntil = async (ok: () => Promise<boolean>, ms: number) => {
        const deadline = Date.now() + ms;
        while (!(await ok())) {
          if (Date.now() > deadline) throw new Error('timed out');
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      await waitUntil(async () => (await catalog.read().catch(() => null))?.snapshots.length === 1, 60_000);

      const coll = client.db(db).collection<{ _id: Int32; n: Int32; tags?: string[] }>('orders');
      for (let i = 0; i < 300; i++) await coll.insertOne({ _id: new Int32(i), n: new Int32(0) });
      for (let i = 0; i < 300; i += 3) await coll.updateOne({ _id: new Int32(i) }, { $inc: { n: 1 }, $push: { tags: `t${i}` } });
      for (let i = 1; i < 300; i += 7) await coll.deleteOne({ _id: new Int32(i) });
      // Digit-only field names, top level and nested, inserted and then set: captured and compacted, they must
      // come out in the server's order, which a decode into an object anywhere on the way would change.
      const digits = client.db(db).collection('orders');
      await digits.insertOne(documentForDriver(ejsonToBson('{"_id":{"$numberInt":"5000"},"b":"x","10":{"$numberInt":"1"},"2":{"$numberInt":"2"},"a":{"9":1,"x":2,"0":3}}')));
      await digits.updateOne({ _id: new Int32(5000) }, { $set: new OrderedDocument([['30', new Int32(1)], ['4', new Int32(2)], ['10', new Int32(7)]]) });
      const session = client.startSession();
      await session.withTransaction(async () => {
        await coll.insertOne({ _id: new Int32(1000), n: new Int32(1) }, { session });
        await coll.updateOne({ _id: new Int32(0) }, { $set: { n: new Int32(42) } }, { session });
        await coll.deleteOne({ _id: new Int32(3) }, { session });
      });
      await session.endSession();
      const reply = await client.db('admin').command({ ping: 1 });
      const end = positionFromTimestamp(reply.operationTime as Timestamp);
      await waitUntil(async () => {
        const c = await catalog.read();
        return !!c.durable && comparePositions(parsePosition(c.durable), end) >= 0;
      }, 60_000);
      controller.abort();
      await running;

      const c = await catalog.read();
      // up recorded what the source said it is: the replica set's name and id.
      expect(c.deployments?.map((d) => d.identity.kind)).toEqual(['replica-set']);
      expect(c.deployments?.[0]?.identity).toMatchObject({ replicaSetId: expect.stringMatching(/^[0-9a-f]{24}$/) as unknown });
      const store = new FsBlobStore(dir);
      const ids: string[] = [];
      const ops: string[] = [];
      for (const seg of c.segments) {
        for await (const e of readSegment(store, seg)) {
          ids.push(e.id);
          if (e.ns.db === db) ops.push(e.op);
        }
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect(ops.filter((o) => o === 'insert')).toHaveLength(302);
      expect(ops.filter((o) => o === 'update')).toHaveLength(102);
      expect(ops.filter((o) => o === 'delete')).toHaveLength(44);

      // Compact everything and compare with the live collection.
      const { buildBase } = await import('../../../services/archiver/base-builder.js');
      const base = c.snapshots[0];
      if (!base || !c.durable) throw new Error('no base');
      const built = await buildBase({
        store,
        catalog: c,
        base: { position: parsePosition(base.position), namespaces: base.namespaces },
        upTo: parsePosition(c.durable),
        kind: 'compaction',
        codec: 'deflate',
        memoryBytes: 64 << 20,
        onGap: 'throw',
      });
      const ns = built.entry.namespaces.find((n) => n.ns === `${db}.orders`);
      if (!ns) throw new Error('orders not in the snapshot');
      const archived: string[] = [];
      for await (const r of readSnapshotNamespace(store, ns)) archived.push(Buffer.from(r.document).toString('hex'));
      const live = (await client.db(db).collection('orders').find({}, { sort: { _id: 1 }, raw: true }).toArray()) as unknown as Uint8Array[];
      expect(archived).toEqual(live.map((d) => Buffer.from(d).toString('hex')));
    } finally {
      controller.abort();
      await client.db(db).dropDatabase().catch(() => undefined);
      await client.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

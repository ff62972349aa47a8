/**
 * A source that is down when rewind starts and comes back later is used again
 * by the same client objects: the collector's backoff loop retries the same
 * MongoChangeSource and MongoCopySource. The outage is a TCP relay in front of
 * the MongoDB wire server that refuses connections until it starts forwarding.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import { expect, it } from 'vitest';
import { CollectorError } from '../../../services/collector/collector-errors.js';
import { MongoChangeSource } from '../../../services/collector/mongo-change-source.js';
import { MongoCopySource } from '../../../services/collector/mongo-copy-source.js';
import { withUriPrecedence } from '../../../services/collector/mongo-connection.js';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';
import { freePort } from '../../harness/free-port.js';

function relay(port: number, to: { host: string; port: number }): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = tcpConnect(to.port, to.host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describeWith('wire', 'a source that is down at start and comes back', (server) => {
  it('the same source objects work once the server answers (no "Topology is closed" forever)', async () => {
    // The first host of the URI (a real replica set's member is read with directConnection too).
    const hostPort = (/^mongodb:\/\/(?:[^@/]*@)?([^,/?]+)/.exec(server.uri)?.[1] ?? '').split(':');
    const target = { hostname: hostPort[0] ?? '127.0.0.1', port: Number(hostPort[1] ?? 27017) };
    const port = await freePort();
    const uri = `mongodb://127.0.0.1:${port}/?directConnection=true&serverSelectionTimeoutMS=400`;
    const db = uniqueDatabase('outage');
    const seed = mongoClient(server);
    await seed.db(db).collection<{ _id: number }>('orders').insertMany([{ _id: 1 }, { _id: 2 }]);

    const source = MongoChangeSource.create(uri);
    const copy = new MongoCopySource(source.client);
    let up: Server | undefined;
    try {
      // Down: each attempt fails with the network's reason, twice in a row.
      await expect(copy.listCollections()).rejects.toThrow(/ECONNREFUSED/);
      await expect(copy.listCollections()).rejects.toThrow(/ECONNREFUSED/);
      up = await relay(port, { host: target.hostname, port: target.port });
      const collections = await copy.listCollections((name) => name === db);
      expect(collections.map((c) => c.ns)).toEqual([`${db}.orders`]);
      const docs: Buffer[] = [];
      for await (const batch of copy.readDocuments(`${db}.orders`, { batchSize: 10 })) docs.push(...batch);
      expect(docs).toHaveLength(2);
    } finally {
      await source.close();
      await seed.close();
      await new Promise<void>((resolve) => (up ? up.close(() => resolve()) : resolve()));
    }
  });
});

it("an operator's URI options win over rewind's client defaults", () => {
  const defaults = { serverSelectionTimeoutMS: 10_000, appName: 'rewind' };
  expect(withUriPrecedence('mongodb://h/?replicaSet=rs0&serverSelectionTimeoutMS=500', defaults)).toEqual({ appName: 'rewind' });
  expect(withUriPrecedence('mongodb://h/?APPNAME=x', defaults)).toEqual({ serverSelectionTimeoutMS: 10_000 });
  expect(withUriPrecedence('mongodb://h', defaults)).toEqual(defaults);
});

describeWith('wire', 'a source that is not a replica set', (server) => {
  it('is refused with a message that says what is needed, not retried as an outage', async () => {
    const probe = mongoClient(server);
    const source = MongoChangeSource.create(server.uri);
    try {
      const hello = await probe.db('admin').command({ isMaster: 1 });
      if (hello.setName !== undefined || hello.msg === 'isdbgrid') {
        // A real replica set or sharded cluster: it has a cluster time.
        await expect(source.currentClusterTime()).resolves.toBeDefined();
        return;
      }
      const err: unknown = await source.currentClusterTime().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CollectorError);
      expect((err as CollectorError).code).toBe('SOURCE_NOT_REPLICA_SET');
      expect((err as CollectorError).retryable).toBe(false);
      expect((err as CollectorError).message).toMatch(/replica set/);
    } finally {
      await source.close();
      await probe.close();
    }
  });
});

// The transport half of capture over the real driver and a real socket: the change-stream commands
// (aggregate with $changeStream, getMore with maxTimeMS, killCursors) run raw, as the live source runs
// them, against the wire stand-in (mongo-java-server). The stand-in is no oracle of event content: its
// events lack ns, wallTime and much else (../shared/TEST-INFRA.md). So this asserts the cursor
// mechanics, that the events arrive as bytes, and rewind's clear refusal of what a real server
// would never send; the documented corpus covers content.
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Timestamp, deserialize } from '../../../contracts/bson.js';
import { CollectorError } from '../../../services/collector/collector-errors.js';
import { mongoClientOptions, MongoChangeSource } from '../../../services/collector/mongo-change-source.js';
import { ChangeEventNormalizeError, normalizeChangeEvent } from '../../../services/collector/normalize-event.js';
import { RawChangeStream } from '../../../services/collector/raw-change-stream.js';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';

describeWith('wire', 'raw change-stream commands over the driver', (server) => {
  let client: MongoClient;
  const dbName = uniqueDatabase('raw-stream');

  beforeAll(async () => {
    client = mongoClient(server, mongoClientOptions);
    await client.connect();
    await client.db(dbName).createCollection('orders');
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  it('opens a cursor, waits through empty batches, delivers events as bytes, and kills the cursor', async () => {
    const stream = await RawChangeStream.open({ client, db: dbName, aggregate: 'orders', pipeline: [{ $changeStream: {} }], batchSize: 10 });
    const first = await stream.next(50);
    expect(first.events).toEqual([]);
    const idle = await stream.next(50);
    expect(idle.events).toEqual([]);

    await client.db(dbName).collection<{ _id: number; b: string }>('orders').insertMany([{ _id: 1, b: 'x' }, { _id: 2, b: 'y' }]);
    let events: Buffer[] = [];
    for (let i = 0; i < 20 && events.length < 2; i++) events = [...events, ...(await stream.next(100)).events];
    expect(events).toHaveLength(2);
    for (const bytes of events) {
      expect(Buffer.isBuffer(bytes)).toBe(true);
      // Bytes of one whole document each, with a resume token as every change event has.
      expect(bytes.readInt32LE(0)).toBe(bytes.length);
      const doc = deserialize(bytes);
      expect(doc.operationType).toBe('insert');
      expect(typeof doc._id).toBe('object');
      // What the stand-in leaves out (ns), rewind refuses by name instead of crashing or guessing.
      let refusal: unknown;
      try {
        normalizeChangeEvent(bytes, { index: 0, fullDocumentMode: 'default' });
      } catch (e) {
        refusal = e;
      }
      expect(refusal).toBeInstanceOf(ChangeEventNormalizeError);
      expect((refusal as ChangeEventNormalizeError).code).toBe('MALFORMED_CHANGE_EVENT');
    }
    await stream.close();
    // Closed: a read after close is refused, and closing twice is harmless.
    await expect(stream.next(10)).rejects.toThrow(/stopped/);
    await stream.close();
  });

  it('refuses a deployment-wide stream the server cannot give, with a reason and no retry', async () => {
    const source = MongoChangeSource.create(server.uri);
    try {
      const now = await source.currentClusterTime().catch((e: unknown) => e);
      // The stand-in answers as a standalone without cluster time: refused as not a replica set (no retry can help).
      expect(now).toBeInstanceOf(CollectorError);
      expect((now as CollectorError).retryable).toBe(false);
      const opened = await source.open({ kind: 'at', clusterTime: new Timestamp({ t: 1, i: 1 }) }).catch((e: unknown) => e);
      expect(opened).toBeInstanceOf(CollectorError);
      expect((opened as CollectorError).retryable).toBe(false);
      // mongo-java-server 1.47 reports 4.4.0; a newer stand-in without deployment-wide streams gets the other refusal.
      expect(['SOURCE_TOO_OLD', 'SOURCE_NO_CHANGE_STREAMS']).toContain((opened as CollectorError).code);
    } finally {
      await source.close();
    }
  });
});

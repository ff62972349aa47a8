// Self-test of a real MongoDB replica set (REWIND_TEST_MONGODB_URI or the
// mongo:8 container): change streams and transactions, which the
// mongo-java-server stand-in cannot be trusted for. Skipped, with the reason,
// where no real MongoDB exists.
import type { ChangeStreamDocument, Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, mongoClient, uniqueDatabase } from './index.js';

describeWith('replica', 'harness: real MongoDB replica set', (server) => {
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    db = client.db(uniqueDatabase('replica-self-test'));
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('a change stream sees an insert and a transaction', async () => {
    const docs = await db.createCollection<{ _id: number; v: string }>('docs');
    const stream = docs.watch([], { fullDocument: 'updateLookup' });
    try {
      // Opens the server-side cursor before writing, so no event is missed.
      expect(await stream.tryNext()).toBeNull();
      await docs.insertOne({ _id: 1, v: 'alone' });
      const session = client.startSession();
      try {
        await session.withTransaction(async () => {
          await docs.insertOne({ _id: 2, v: 'in-txn' }, { session });
          await docs.updateOne({ _id: 1 }, { $set: { v: 'changed-in-txn' } }, { session });
        });
      } finally {
        await session.endSession();
      }

      const events: ChangeStreamDocument[] = [];
      const deadline = Date.now() + 20_000;
      while (events.length < 3 && Date.now() < deadline) {
        const event = await stream.tryNext();
        if (event) events.push(event);
      }
      expect(events.map((event) => event.operationType)).toEqual(['insert', 'insert', 'update']);
      const [alone, txnInsert, txnUpdate] = events as [ChangeStreamDocument, ChangeStreamDocument, ChangeStreamDocument];
      expect('lsid' in alone ? alone.lsid : undefined).toBeUndefined();
      for (const event of [txnInsert, txnUpdate]) {
        expect('lsid' in event && event.lsid).toBeTruthy();
        expect('txnNumber' in event ? event.txnNumber : undefined).toBeDefined();
      }
      // A transaction's operations commit at one cluster time.
      const clusterTime = (event: ChangeStreamDocument): unknown => ('clusterTime' in event ? event.clusterTime : undefined);
      expect(clusterTime(txnInsert)).toBeDefined();
      expect(clusterTime(txnInsert)).toEqual(clusterTime(txnUpdate));
      expect(txnUpdate.operationType === 'update' && txnUpdate.updateDescription.updatedFields).toEqual({ v: 'changed-in-txn' });
    } finally {
      await stream.close();
    }
  });
});

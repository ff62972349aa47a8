// Self-tests of the harness's MongoDB wire server, through the real `mongodb`
// driver: the CRUD rewind's restore and initial copy do (bulk upserts and
// deletes, sorted reads in batches). On this machine the server is
// mongo-java-server; with REWIND_TEST_MONGODB_URI or a container it is mongod.
import type { CommandStartedEvent, Db, MongoClient } from 'mongodb';
import { MongoCompatibilityError } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, mongoClient, uniqueDatabase } from './index.js';

interface Doc {
  _id: number;
  n: number;
  tag?: string;
}

describeWith('wire', 'harness: MongoDB wire server', (server) => {
  let client: MongoClient;
  let db: Db;
  const started: CommandStartedEvent[] = [];

  beforeAll(async () => {
    client = mongoClient(server, { monitorCommands: true });
    client.on('commandStarted', (event) => started.push(event));
    await client.connect();
    db = client.db(uniqueDatabase('wire-self-test'));
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('bulkWrite upserts and deletes, then a sorted find in batches (getMore)', async () => {
    const docs = db.collection<Doc>('docs');
    await docs.insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i, n: i % 5 })));

    const result = await docs.bulkWrite(
      [
        { updateOne: { filter: { _id: 100 }, update: { $set: { n: 9 } }, upsert: true } }, // new → upsert
        { replaceOne: { filter: { _id: 101 }, replacement: { n: 8, tag: 'replaced' }, upsert: true } }, // new → upsert
        { updateOne: { filter: { _id: 3 }, update: { $set: { tag: 'updated' } }, upsert: true } }, // existing → match
        { replaceOne: { filter: { _id: 4 }, replacement: { n: 4, tag: 'replaced' }, upsert: true } }, // existing → match
        { deleteOne: { filter: { _id: 0 } } },
        { deleteMany: { filter: { n: 1 } } }, // _id 1, 6, 11, 16
      ],
      { ordered: true },
    );
    expect(result.upsertedCount).toBe(2);
    expect(result.upsertedIds).toEqual({ 0: 100, 1: 101 });
    expect(result.matchedCount).toBe(2);
    expect(result.modifiedCount).toBe(2);
    expect(result.deletedCount).toBe(5);

    started.length = 0;
    const cursor = docs.find({}, { sort: { n: -1, _id: 1 }, batchSize: 4 });
    const read = await cursor.toArray();
    const expected = [
      ...Array.from({ length: 20 }, (_, i) => ({ _id: i, n: i % 5 }))
        .filter((d) => d._id !== 0 && d.n !== 1)
        .map((d): Doc => (d._id === 3 ? { ...d, tag: 'updated' } : d._id === 4 ? { ...d, tag: 'replaced' } : d)),
      { _id: 100, n: 9 },
      { _id: 101, n: 8, tag: 'replaced' },
    ].sort((a, b) => b.n - a.n || a._id - b._id);
    expect(read).toEqual(expected);
    expect(read).toHaveLength(17);
    // 17 documents in batches of 4: find plus at least four getMores.
    expect(started.filter((event) => event.commandName === 'getMore').length).toBeGreaterThanOrEqual(4);
    expect(await docs.countDocuments({ tag: { $exists: true } })).toBe(3);
  });

  it('the stand-in refuses explicit sessions, as TEST-INFRA.md says (a real server accepts them)', async (context) => {
    const docs = db.collection<Doc>('sessions');
    await docs.insertOne({ _id: 1, n: 1 });
    // The driver attaches no implicit session to the stand-in: it announces no logicalSessionTimeoutMinutes.
    const inserts = started.filter((event) => event.commandName === 'insert' && event.databaseName === db.databaseName);
    if (server.kind !== 'mongo-java-server') {
      await client.withSession((session) => docs.findOne({ _id: 1 }, { session }));
      context.skip('only the mongo-java-server stand-in lacks sessions');
    }
    expect(inserts.at(-1)?.command.lsid).toBeUndefined();
    const session = client.startSession();
    try {
      await expect(docs.findOne({ _id: 1 }, { session })).rejects.toBeInstanceOf(MongoCompatibilityError);
    } finally {
      await session.endSession();
    }
  });
});

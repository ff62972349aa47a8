/**
 * The differential suite over a real replica set, capturing real change
 * streams: a workload through the driver (inserts; $set, $unset, $inc, $push,
 * $pull and array-index updates; pipeline updates; replaces; deletes; a
 * deleteMany; multi-document transactions; index changes; rename; drop) while
 * the collector (MongoChangeSource + MongoCopySource), the embedded log and
 * the archiver capture it. After every operation the true content is read
 * back from the server itself (raw bytes) with the operation's clusterTime
 * (the session's operationTime); a restore to each of those positions into a
 * fresh database must be byte-identical, with nothing extra.
 *
 * Needs a real MongoDB replica set (REWIND_TEST_MONGODB_URI or a container):
 * skipped here with the harness's reason. Byte-identical holds on mongod for
 * documents inserted by the restore into fresh collections.
 */
import { Double, Int32, deserialize } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import { MongoClient } from 'mongodb';
import type { ClientSession, Db, Filter, UpdateFilter } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXACT_BSON, comparePositions, position } from '../../../contracts/index.js';
import type { Position } from '../../../contracts/index.js';
import { MongoChangeSource, mongoClientOptions } from '../../../services/collector/mongo-change-source.js';
import { MongoCopySource } from '../../../services/collector/mongo-copy-source.js';
import { readDeploymentIdentity } from '../../../services/collector/deployment-identity.js';
import { placeTarget } from '../../../services/restore/target-placement.js';
import { restorableWindow } from '../../../services/replay/plan-restore.js';
import { describeWith, mongoClient, uniqueDatabase } from '../../harness/index.js';
import { restoreAndCompare } from './compare-state.js';
import { captureThroughPipeline } from './pipeline-capture.js';
import type { CapturedArchive } from './pipeline-capture.js';
import type { TrueState } from './workload.js';

async function trueState(db: Db, at: Position): Promise<TrueState> {
  const namespaces = new Map<string, { docs: Document[]; indexes: string[] }>();
  for (const c of await db.listCollections({}, { nameOnly: true }).toArray()) {
    const coll = db.collection(c.name);
    const docs: Document[] = [];
    for await (const raw of coll.find({}, { raw: true })) docs.push(deserialize(raw as unknown as Uint8Array, EXACT_BSON));
    const indexes = (await coll.listIndexes().toArray()).map((i) => String((i as { name?: unknown }).name)).filter((n) => n !== '_id_').sort();
    namespaces.set(`${db.databaseName}.${c.name}`, { docs, indexes });
  }
  return { position: at, namespaces };
}

/** Documents with any _id (the driver's default schema assumes ObjectId). */
interface Loose {
  _id: unknown;
  [field: string]: unknown;
}

/** The driver's typed filters and updates, for documents of any shape. */
const f = (filter: Document) => filter as Filter<Loose>;
const u = (update: Document) => update as UpdateFilter<Loose>;

function operationPosition(session: ClientSession): Position {
  const t = session.operationTime;
  if (!t) throw new Error('the session has no operationTime');
  return position(t.high >>> 0, t.low >>> 0, 0);
}

describeWith('replica', 'differential restore over a real replica set, capturing real change streams', (server) => {
  let client: MongoClient;
  let captured: CapturedArchive | undefined;
  const truths: TrueState[] = [];
  const source = uniqueDatabase('replica-src');

  beforeAll(async () => {
    client = mongoClient(server);
    await client.connect();
    const db = client.db(source);
    await db.collection<Loose>('orders').insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: new Int32(i), qty: new Int32(i), tags: ['a', 'b', 'c'], sub: { x: new Int32(1) } })));
    await db.collection<Loose>('items').insertMany([{ _id: 'sku-1', price: new Double(9.5) }, { _id: 'sku-2', price: new Double(1.25) }]);

    const copyClient = new MongoClient(server.uri, mongoClientOptions);
    let end: Position | null = null;
    let copied = false;
    const capturing = captureThroughPipeline({
      source: MongoChangeSource.create(server.uri),
      copySource: new MongoCopySource(copyClient),
      scope: { include: [`${source}.*`], exclude: [] },
      through: () => end,
      compactAfterEvents: 40,
      timeoutMs: 120_000,
      onCatalog: (c) => void (copied ||= !!c?.snapshots.some((s) => s.kind === 'initial-copy')),
    });
    const started = Date.now();
    while (!copied && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 100));

    const session = client.startSession({ causalConsistency: true });
    const orders = () => db.collection<Loose>('orders');
    const items = () => db.collection<Loose>('items');
    const step = async (op: () => Promise<unknown>) => {
      await op();
      truths.push(await trueState(db, operationPosition(session)));
    };
    const s = { session };
    try {
      for (let round = 0; round < 4; round++) {
        const id = new Int32(100 + round);
        await step(() => orders().insertOne({ _id: id, qty: new Int32(round), tags: ['x'], sub: { x: new Int32(round) } }, s));
        await step(() => orders().updateOne(f({ _id: id }), u({ $set: { status: 'paid', 'sub.y': 'new' } }), s));
        await step(() => orders().updateOne(f({ _id: new Int32(round) }), u({ $unset: { sub: '' } }), s));
        await step(() => orders().updateOne(f({ _id: new Int32(round + 4) }), u({ $inc: { qty: new Int32(5) } }), s));
        await step(() => orders().updateOne(f({ _id: new Int32(round + 8) }), u({ $push: { tags: 'd' } }), s));
        await step(() => orders().updateOne(f({ _id: new Int32(round + 12) }), u({ $pull: { tags: 'b' } }), s));
        await step(() => orders().updateOne(f({ _id: new Int32(round + 16) }), u({ $set: { 'tags.1': 'B' } }), s));
        await step(() => orders().updateOne(f({ _id: id }), [{ $set: { total: { $add: ['$qty', 10] }, tags: { $slice: ['$tags', 1] } } }], s));
        await step(() => orders().replaceOne(f({ _id: new Int32(round + 4) }), { note: 'replaced', qty: new Int32(-1) }, s));
        await step(() =>
          session.withTransaction(async () => {
            await orders().insertOne({ _id: new Int32(200 + round), txn: true }, s);
            await orders().updateOne(f({ _id: id }), u({ $set: { status: 'in-txn' } }), s);
            await items().deleteOne(f({ _id: 'sku-1' }), s);
            await items().insertOne({ _id: `sku-${10 + round}`, price: new Double(round) }, s);
          }),
        );
        await step(() => orders().deleteOne(f({ _id: new Int32(round + 12) }), s));
      }
      await step(() => orders().createIndex({ qty: 1 }, { name: 'qty_1', ...s }));
      await step(() => orders().deleteMany(f({ qty: { $lt: 3 } }), s));
      await step(() => items().createIndex({ price: -1 }, { name: 'price_-1', ...s }));
      await step(() => orders().dropIndex('qty_1', s));
      await step(() => items().rename('goods', s));
      await step(() => db.collection<Loose>('scratch').insertOne({ _id: 1, tmp: true }, s));
      await step(() => db.collection('scratch').drop(s));
      await step(() => orders().updateMany({}, u({ $set: { last: true } }), s));
      end = truths.at(-1)?.position ?? null;
      captured = await capturing;
    } finally {
      await session.endSession();
      await copyClient.close();
    }
  }, 240_000);

  afterAll(async () => {
    await client?.db(source).dropDatabase();
    await client?.close();
    await captured?.remove();
  });

  it('restores the state after every operation byte for byte', async () => {
    if (!captured) throw new Error('nothing captured');
    const window = restorableWindow(captured.catalog);
    if (!window) throw new Error('no restorable window');
    expect(truths.length).toBeGreaterThanOrEqual(50);
    for (const truth of truths) {
      expect(comparePositions(truth.position, window.earliest)).toBeGreaterThanOrEqual(0);
      await restoreAndCompare({ client, store: captured.store, catalog: captured.catalog, truth, sourceDb: source });
    }
  }, 240_000);

  it('identifies the replica set by its name and replicaSetId, and knows it is the source it captured', async () => {
    const identity = await readDeploymentIdentity(client);
    expect(identity.kind).toBe('replica-set');
    if (identity.kind !== 'replica-set') return;
    expect(identity.replicaSetId).toMatch(/^[0-9a-f]{24}$/);
    const captured = [{ identity, firstSeenAt: new Date().toISOString() }];
    expect(placeTarget({ targetGiven: true, target: await readDeploymentIdentity(client), captured })).toMatchObject({ inPlace: true, match: 'same' });
    expect(placeTarget({ targetGiven: true, target: { ...identity, replicaSetId: 'f'.repeat(24) }, captured })).toMatchObject({ inPlace: false, match: 'different' });
  });
});

// Digit-only field names through the whole byte path, over the real driver and a real socket: a
// document stored as {_id, b, "10", "2", a: {"9", x, "0"}} is copied by the initial copy, archived,
// restored into another database and read back raw, byte-identical; history prints it in that order
// too. A decode into a JavaScript object anywhere on the way would move "2" and "10" first.
// (The stand-in keeps a document's field order on insert, and _id is written first here, as mongod
// would put it: ../shared/TEST-INFRA.md lists where it differs.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ejsonToBson } from '../../../contracts/ejson-to-bson.js';
import { stringifyJson } from '../../../contracts/ordered-json.js';
import { mongoClientOptions } from '../../../services/collector/mongo-change-source.js';
import { keyFromText } from '../../../services/restore/document-keys.js';
import { documentForDriver } from '../../../services/restore/driver-document.js';
import { documentHistory } from '../../../services/restore/history.js';
import { restoreFromArchive } from '../../../services/restore/restore-from-archive.js';
import { copyIntoArchive } from '../capture/copy-into-archive.js';
import { describeWith, uniqueDatabase } from '../../harness/index.js';


const DOCS = [
  '{"_id":{"$numberInt":"1"},"b":"x","10":{"$numberInt":"1"},"2":{"$numberInt":"2"},"a":{"9":{"$numberInt":"1"},"x":{"$numberInt":"2"},"0":{"$numberInt":"3"}}}',
  '{"_id":{"$numberInt":"2"},"list":[{"7":"p","3":"q"}],"1":{"$numberLong":"5"}}',
].map((t) => ejsonToBson(t));

async function rawDocuments(client: MongoClient, db: string): Promise<string[]> {
  const found = await client.db(db).collection('orders').find({}, { sort: { _id: 1 }, raw: true }).toArray();
  return found.map((d) => Buffer.from(d as unknown as Uint8Array).toString('hex'));
}

describeWith('wire', 'digit-only field names from the source to a restored copy', (server) => {
  let client: MongoClient;
  let dir: string;
  const source = uniqueDatabase('order-src');
  const target = uniqueDatabase('order-dst');

  beforeAll(async () => {
    client = new MongoClient(server.uri, { ...mongoClientOptions, serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    dir = await mkdtemp(join(tmpdir(), 'rewind-field-order-'));
    await client.db(source).collection('orders').insertMany(DOCS.map((d) => documentForDriver(d)));
  });
  afterAll(async () => {
    await client?.db(source).dropDatabase().catch(() => undefined);
    await client?.db(target).dropDatabase().catch(() => undefined);
    await client?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the source holds the order, the archive keeps it, a restore writes it back byte for byte', async () => {
    // Written so that the stand-in holds that order (checked: without it the round trip proves nothing).
    expect(await rawDocuments(client, source)).toEqual(DOCS.map((d) => d.toString('hex')));

    const { store, catalog } = await copyIntoArchive({ client, dir, sourceId: 'field-order', scope: { include: [`${source}.*`], exclude: [] } });

    const report = await restoreFromArchive({
      archive: { location: { kind: 'fs', dir } },
      target: { kind: 'latest' },
      mode: 'into-empty',
      dryRun: false,
      namespaces: [`${source}.orders`],
      ids: [],
      targetUri: server.uri,
      mappings: [{ from: `${source}.orders`, to: `${target}.orders` }],
      confirmSource: false,
      jobDir: join(dir, '..', `${target}-jobs`),
    });
    expect(report.namespaces[0]?.counts.inserted).toBe(DOCS.length);
    expect(await rawDocuments(client, target)).toEqual(DOCS.map((d) => d.toString('hex')));

    // history shows the version in the document's own order.
    const history = await documentHistory({ store, catalog, ns: `${source}.orders`, key: keyFromText('1') });
    const text = stringifyJson(history.versions[0]?.document);
    expect(text).toBe('{"_id":{"$numberInt":"1"},"b":"x","10":{"$numberInt":"1"},"2":{"$numberInt":"2"},"a":{"9":{"$numberInt":"1"},"x":{"$numberInt":"2"},"0":{"$numberInt":"3"}}}');
    await rm(join(dir, '..', `${target}-jobs`), { recursive: true, force: true });
  });
});

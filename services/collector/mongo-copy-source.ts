/**
 * The initial copy's reads over the real driver: every collection of every
 * user database (views, time-series buckets' system collections and MongoDB's
 * own databases left out), its options and indexes as canonical extended
 * JSON, and its documents as raw BSON bytes in _id order (`raw: true`, so no
 * value is ever decoded and re-encoded).
 */
import { connected } from './mongo-connection.js';
import { Buffer } from 'node:buffer';
import { EJSON } from '../../contracts/bson.js';
import type { Document, MongoClient } from 'mongodb';
import type { CopyCollection, CopySource } from './source-port.js';

const SYSTEM_DBS = new Set(['admin', 'local', 'config']);

function canonical(doc: unknown): Record<string, unknown> {
  return EJSON.serialize(doc ?? {}, { relaxed: false });
}

export class MongoCopySource implements CopySource {
  constructor(private readonly client: MongoClient) {}

  async listCollections(wantDb: (db: string) => boolean = () => true): Promise<CopyCollection[]> {
    const dbs = await (await connected(this.client)).db('admin').admin().listDatabases({ nameOnly: true });
    const out: CopyCollection[] = [];
    for (const { name: dbName } of dbs.databases) {
      if (SYSTEM_DBS.has(dbName) || !wantDb(dbName)) continue;
      const db = this.client.db(dbName);
      const infos = (await db.listCollections({}, { nameOnly: false }).toArray()) as Document[];
      for (const info of infos) {
        const name = String(info.name);
        if (info.type !== undefined && info.type !== 'collection') continue;
        if (name.startsWith('system.')) continue;
        const indexes = (await db.collection(name).listIndexes().toArray()) as Document[];
        const uuid: unknown = (info.info as Document | undefined)?.uuid;
        out.push({
          ns: `${dbName}.${name}`,
          options: canonical(info.options),
          indexes: indexes.map(canonical),
          ...(uuid && typeof (uuid as { toString?: unknown }).toString === 'function'
            ? { uuid: (uuid as { toString(enc: string): string }).toString('hex') }
            : {}),
        });
      }
    }
    return out.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
  }

  async *readDocuments(ns: string, options: { batchSize: number; signal?: AbortSignal }): AsyncIterable<Buffer[]> {
    const dot = ns.indexOf('.');
    const coll = (await connected(this.client)).db(ns.slice(0, dot)).collection(ns.slice(dot + 1));
    const cursor = coll.find({}, { sort: { _id: 1 }, raw: true, batchSize: options.batchSize });
    try {
      let batch: Buffer[] = [];
      for await (const doc of cursor) {
        if (options.signal?.aborted) return;
        batch.push(Buffer.from(doc as unknown as Uint8Array));
        if (batch.length >= options.batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      await cursor.close();
    }
  }
}

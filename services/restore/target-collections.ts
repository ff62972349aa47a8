/**
 * The target database through the `mongodb` driver: reading a collection as
 * raw BSON in _id order (byte-exact, no decode), the emptiness check, and
 * recreating a collection's options and indexes as of T.
 */
import { EJSON } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { MongoServerError } from 'mongodb';
import type { Collection, Db, MongoClient } from 'mongodb';
import type { CollectionMetadata } from '../../contracts/index.js';
import { RestoreError } from './errors.js';
import { splitNamespace } from './namespace-scope.js';

export function targetCollection(client: MongoClient, ns: string): Collection {
  const { db, coll } = splitNamespace(ns);
  return client.db(db).collection(coll);
}

export function targetFailed(what: string, cause: unknown): RestoreError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new RestoreError('TARGET_FAILED', `${what}: ${detail}`, { cause });
}

/**
 * The collection's documents ascending by _id, each as the exact BSON bytes the
 * server holds. `batchSize` bounds memory and makes the server page with
 * getMore; the next batch is requested as soon as the current one is handed
 * out, so the round trip overlaps with the consumer's work on this one.
 */
export async function* streamSorted(collection: Collection, options: { batchSize: number; filter?: Document }): AsyncGenerator<Uint8Array> {
  const cursor = collection.find(options.filter ?? {}, { sort: { _id: 1 }, batchSize: options.batchSize, raw: true });
  const fail = (cause: unknown) => targetFailed(`reading ${collection.namespace}`, cause);
  try {
    let more = cursor.hasNext();
    more.catch(() => undefined);
    while (await more.catch((cause: unknown) => Promise.reject(fail(cause)))) {
      const batch = cursor.readBufferedDocuments() as unknown as Uint8Array[];
      more = cursor.hasNext();
      more.catch(() => undefined);
      yield* batch;
    }
  } finally {
    await cursor.close();
  }
}

export async function isEmpty(collection: Collection): Promise<boolean> {
  try {
    return (await collection.findOne({}, { projection: { _id: 1 } })) === null;
  } catch (cause) {
    throw targetFailed(`checking whether ${collection.namespace} is empty`, cause);
  }
}

async function collectionExists(db: Db, name: string): Promise<boolean> {
  const found = await db.listCollections({ name }, { nameOnly: true }).toArray();
  return found.length > 0;
}

export interface MetadataOutcome {
  created: boolean;
  indexes: string[];
  warnings: string[];
}

function decode(value: Record<string, unknown>): Document {
  return EJSON.deserialize(value, { relaxed: false }) as Document;
}

/** Creates the collection with its options at T when it does not exist yet. */
export async function ensureCollection(client: MongoClient, ns: string, metadata: CollectionMetadata | null): Promise<MetadataOutcome> {
  const { db: dbName, coll } = splitNamespace(ns);
  const db = client.db(dbName);
  const outcome: MetadataOutcome = { created: false, indexes: [], warnings: [] };
  try {
    if (await collectionExists(db, coll)) {
      if (metadata && Object.keys(metadata.options).length > 0) {
        outcome.warnings.push(`${ns} exists already; its options were left as they are (options at T: ${JSON.stringify(metadata.options)})`);
      }
      return outcome;
    }
    await db.command({ create: coll, ...(metadata ? decode(metadata.options) : {}) });
    outcome.created = true;
    return outcome;
  } catch (cause) {
    if (cause instanceof MongoServerError && cause.code === 48) return outcome; // NamespaceExists: created meanwhile
    throw targetFailed(`creating ${ns}`, cause);
  }
}

/** Creates the indexes of T (except _id's, which every collection has); existing identical ones are no-ops. */
export async function ensureIndexes(client: MongoClient, ns: string, metadata: CollectionMetadata | null): Promise<string[]> {
  if (!metadata) return [];
  const { db, coll } = splitNamespace(ns);
  const specs = metadata.indexes
    .map(decode)
    .filter((spec) => spec.name !== '_id_')
    .map((spec) => {
      const { ns: _ns, ...rest } = spec;
      return rest;
    });
  if (specs.length === 0) return [];
  try {
    await client.db(db).command({ createIndexes: coll, indexes: specs });
  } catch (cause) {
    throw targetFailed(`creating the indexes of ${ns} (${specs.map((s) => String(s.name)).join(', ')})`, cause);
  }
  return specs.map((s) => String(s.name));
}

/**
 * The differential suites' oracle check: restore the archive's state at a
 * position into a fresh database and compare it with the model's true state,
 * document bytes (read back raw, sorted) and index names, collection by
 * collection, with nothing extra.
 */
import { serialize } from '../../../contracts/bson.js';
import type { Document } from 'bson';
import type { MongoClient } from 'mongodb';
import { expect } from 'vitest';
import { formatPosition } from '../../../contracts/index.js';
import type { Catalog } from '../../../contracts/index.js';
import type { BlobStore } from '../../../services/archive/index.js';
import { openStateAt } from '../../../services/restore/archive-state.js';
import { runRestore } from '../../../services/restore/restore-job.js';
import { uniqueDatabase } from '../../harness/index.js';
import type { TrueState } from './workload.js';

const byBytes = (x: Uint8Array, y: Uint8Array) => Buffer.compare(x, y);

type Contents = Map<string, { docs: Buffer[]; indexes: string[] }>;

export async function readBack(client: MongoClient, db: string): Promise<Contents> {
  const out: Contents = new Map();
  for (const c of await client.db(db).listCollections({}, { nameOnly: true }).toArray()) {
    const coll = client.db(db).collection(c.name);
    const docs: Buffer[] = [];
    for await (const raw of coll.find({}, { raw: true, batchSize: 50 })) docs.push(Buffer.from(raw as unknown as Uint8Array));
    const indexes = (await coll.listIndexes().toArray()).map((i) => String((i as { name?: unknown }).name)).filter((n) => n !== '_id_').sort();
    out.set(c.name, { docs: docs.sort(byBytes), indexes });
  }
  return out;
}

export function expectedContents(truth: TrueState, sourceDb: string): Contents {
  const out: Contents = new Map();
  for (const [ns, v] of truth.namespaces) {
    out.set(ns.slice(sourceDb.length + 1), { docs: v.docs.map((d: Document) => Buffer.from(serialize(d))).sort(byBytes), indexes: v.indexes });
  }
  return out;
}

/** Restores `truth.position` from the archive into a fresh database and asserts it equals the truth. */
export async function restoreAndCompare(o: { client: MongoClient; store: BlobStore; catalog: Catalog; truth: TrueState; sourceDb: string; checkIndexes?: boolean }): Promise<void> {
  const db = uniqueDatabase('differential');
  const at = formatPosition(o.truth.position);
  const state = await openStateAt({ store: o.store, catalog: o.catalog, target: { kind: 'position', position: at } });
  try {
    await runRestore({
      state,
      client: o.client,
      inPlace: false,
      confirmSource: false,
      mode: 'into-empty',
      dryRun: false,
      namespaces: [],
      mappings: [{ from: `${o.sourceDb}.*`, to: `${db}.*` }],
      jobDir: null,
      batchSize: 40,
    });
  } finally {
    await state.close();
  }
  const got = await readBack(o.client, db);
  const want = expectedContents(o.truth, o.sourceDb);
  expect([...got.keys()].sort(), `collections at ${at}`).toEqual([...want.keys()].sort());
  for (const [coll, w] of want) {
    const g = got.get(coll);
    expect(g?.docs.length, `${coll} count at ${at}`).toBe(w.docs.length);
    expect(g?.docs, `${coll} bytes at ${at}`).toEqual(w.docs);
    if (o.checkIndexes ?? true) expect(g?.indexes, `${coll} indexes at ${at}`).toEqual(w.indexes);
  }
  await o.client.db(db).dropDatabase();
}

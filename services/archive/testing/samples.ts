/**
 * Test data for the archive's tests and benchmark: documents holding every
 * BSON type, and change events around them. Not used by the product.
 */
import {
  BSONRegExp,
  Binary,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  serialize,
} from '../../../contracts/bson.js';
import type { Document } from 'bson';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeEvent, OperationType } from '../../../contracts/index.js';

export const BINARY_SUBTYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x80] as const;

/** One field of every BSON type the issue lists (Binary once per subtype). */
export function everyBsonType(seed = 1): Document {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
  const binaries: Document = {};
  for (const st of BINARY_SUBTYPES) {
    // UUID subtypes (3, 4) are 16 bytes by definition.
    binaries[`bin_${st}`] = new Binary(bytes(st === 3 || st === 4 ? 16 : 7 + st), st);
  }
  return {
    _id: new ObjectId(bytes(12)),
    double: new Double(3.25 + seed),
    doubleWhole: new Double(2),
    negZero: new Double(-0),
    nan: new Double(Number.NaN),
    inf: new Double(Number.POSITIVE_INFINITY),
    string: `héllo ☃ ${seed}`,
    object: { nested: { deeper: 'x', n: new Int32(seed) } },
    array: [1, 'two', { three: 3 }, [4], null],
    ...binaries,
    objectId: new ObjectId(bytes(12).reverse()),
    boolTrue: true,
    boolFalse: false,
    date: new Date(Date.UTC(2024, 4, 1, 12, 0, 0, 123)),
    preEpoch: new Date(-86_400_000),
    null: null,
    regex: new BSONRegExp('^a.*z$', 'imsux'),
    int32: new Int32(-2_147_483_648),
    timestamp: new Timestamp({ t: 1_714_564_800, i: 7 }),
    int64: Long.fromString('9223372036854775807'),
    int64Small: Long.fromNumber(1),
    decimal128: Decimal128.fromString('1234567890.123456789012345678901234'),
    decimalNaN: Decimal128.fromString('NaN'),
    minKey: new MinKey(),
    maxKey: new MaxKey(),
  };
}

export function bsonBytes(doc: Document): Buffer {
  return Buffer.from(serialize(doc));
}

export interface EventOptions {
  seconds?: number;
  increment?: number;
  index?: number;
  op?: OperationType;
  db?: string;
  coll?: string | null;
  document?: Buffer;
}

/** A change event whose payloads are BSON bytes. */
export function makeEvent(n: number, o: EventOptions = {}): ChangeEvent {
  const doc = o.document ?? bsonBytes({ _id: n, v: n });
  return {
    id: `event-${n}`,
    seconds: o.seconds ?? 1_714_564_800,
    increment: o.increment ?? n,
    index: o.index ?? 0,
    wallTimeMs: 1_714_564_800_000 + n,
    op: o.op ?? 'insert',
    ns: { db: o.db ?? 'shop', coll: o.coll === undefined ? 'orders' : o.coll },
    to: null,
    collectionUUID: Buffer.alloc(16, n & 0xff),
    documentKey: bsonBytes({ _id: n }),
    fullDocument: doc,
    fullDocumentIsLookup: false,
    fullDocumentBeforeChange: null,
    updateDescription: null,
    operationDescription: null,
    txn: null,
    resumeToken: bsonBytes({ _data: `82${n.toString(16).padStart(16, '0')}` }),
  };
}

/** A temp folder removed by the returned cleanup. */
export async function tempDir(prefix = 'rewind-archive-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

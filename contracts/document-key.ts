/**
 * MongoDB's BSON comparison order, for document keys: snapshots are sorted by
 * it, and diff merges the archive with a live `find().sort({_id: 1})`, so it
 * must agree with the server's order (no collation: strings compare as UTF-8
 * bytes). Order of types: MinKey < null < numbers < strings/symbols < objects
 * < arrays < BinData < ObjectId < booleans < dates < timestamps < regexes < MaxKey.
 */
import { BSONRegExp, BSONSymbol, Decimal128, Double, Int32, Long, deserialize, serialize } from './bson.js';
import type { Binary, Document, ObjectId, Timestamp } from 'bson';

const RANK = {
  minKey: 1,
  null: 5,
  number: 10,
  string: 15,
  object: 20,
  array: 25,
  binary: 30,
  objectId: 35,
  boolean: 40,
  date: 45,
  timestamp: 47,
  regex: 50,
  other: 60,
  maxKey: 127,
} as const;

function rank(v: unknown): number {
  if (v === null || v === undefined) return RANK.null;
  if (typeof v === 'number' || typeof v === 'bigint') return RANK.number;
  if (typeof v === 'string') return RANK.string;
  if (typeof v === 'boolean') return RANK.boolean;
  if (v instanceof Date) return RANK.date;
  if (Array.isArray(v)) return RANK.array;
  if (v instanceof RegExp) return RANK.regex;
  if (typeof v === 'object') {
    const bt = (v as { _bsontype?: string })._bsontype;
    switch (bt) {
      case 'MinKey': return RANK.minKey;
      case 'MaxKey': return RANK.maxKey;
      case 'Int32': case 'Double': case 'Long': case 'Decimal128': return RANK.number;
      case 'BSONSymbol': return RANK.string;
      case 'Binary': return RANK.binary;
      case 'ObjectId': return RANK.objectId;
      case 'Timestamp': return RANK.timestamp;
      case 'BSONRegExp': return RANK.regex;
      case undefined: return RANK.object;
      default: return RANK.other;
    }
  }
  return RANK.other;
}

type Num = { kind: 'int'; value: bigint } | { kind: 'double'; value: number } | { kind: 'decimal'; text: string };

function toNum(v: unknown): Num {
  if (typeof v === 'number') return Number.isInteger(v) ? { kind: 'int', value: BigInt(v) } : { kind: 'double', value: v };
  if (typeof v === 'bigint') return { kind: 'int', value: v };
  if (v instanceof Int32 || v instanceof Double) return toNum(v.value);
  if (v instanceof Long) return { kind: 'int', value: v.toBigInt() };
  if (v instanceof Decimal128) {
    const text = v.toString();
    const asNumber = Number(text);
    if (/^-?\d+$/.test(text)) return { kind: 'int', value: BigInt(text) };
    // Decimal values that are not integers compare through their double value:
    // exact for every key a driver would produce from a double, close otherwise.
    return Number.isNaN(asNumber) && text !== 'NaN' ? { kind: 'decimal', text } : { kind: 'double', value: asNumber };
  }
  return { kind: 'double', value: Number.NaN };
}

function compareNumbers(a: unknown, b: unknown): number {
  const x = toNum(a);
  const y = toNum(b);
  if (x.kind === 'int' && y.kind === 'int') return x.value < y.value ? -1 : x.value > y.value ? 1 : 0;
  const xv = x.kind === 'int' ? x.value : x.kind === 'double' ? x.value : Number(x.text);
  const yv = y.kind === 'int' ? y.value : y.kind === 'double' ? y.value : Number(y.text);
  // MongoDB sorts NaN below every other number and equal to itself.
  const xNaN = typeof xv === 'number' && Number.isNaN(xv);
  const yNaN = typeof yv === 'number' && Number.isNaN(yv);
  if (xNaN || yNaN) return xNaN && yNaN ? 0 : xNaN ? -1 : 1;
  if (typeof xv === 'bigint' && typeof yv === 'number') return -compareIntDouble(yv, xv);
  if (typeof xv === 'number' && typeof yv === 'bigint') return compareIntDouble(xv, yv);
  return (xv as number) < (yv as number) ? -1 : (xv as number) > (yv as number) ? 1 : 0;
}

/** Exact comparison of a double with an integer of any size. */
function compareIntDouble(d: number, i: bigint): number {
  if (d === Infinity) return 1;
  if (d === -Infinity) return -1;
  const floor = Math.floor(d);
  const fi = BigInt(floor);
  if (fi !== i) return fi < i ? -1 : 1;
  return d > floor ? 1 : 0;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function compareObjects(a: Document, b: Document): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const fa = ka[i] as string;
    const fb = kb[i] as string;
    const va = a[fa] as unknown;
    const vb = b[fb] as unknown;
    const byType = rank(va) - rank(vb);
    if (byType !== 0) return Math.sign(byType);
    const byName = compareBytes(utf8(fa), utf8(fb));
    if (byName !== 0) return byName;
    const byValue = compareBsonValues(va, vb);
    if (byValue !== 0) return byValue;
  }
  return Math.sign(ka.length - kb.length);
}

export function compareBsonValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return Math.sign(ra - rb);
  switch (ra) {
    case RANK.minKey:
    case RANK.maxKey:
    case RANK.null:
      return 0;
    case RANK.number:
      return compareNumbers(a, b);
    case RANK.string: {
      const sa = a instanceof BSONSymbol ? a.value : (a as string);
      const sb = b instanceof BSONSymbol ? b.value : (b as string);
      return compareBytes(utf8(sa), utf8(sb));
    }
    case RANK.object:
      return compareObjects(a as Document, b as Document);
    case RANK.array: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      return compareObjects({ ...xa }, { ...xb });
    }
    case RANK.binary: {
      const ba = a as Binary;
      const bb = b as Binary;
      return Math.sign(ba.position - bb.position) || Math.sign(ba.sub_type - bb.sub_type) || compareBytes(ba.value(), bb.value());
    }
    case RANK.objectId:
      return compareBytes((a as ObjectId).id, (b as ObjectId).id);
    case RANK.boolean:
      return Number(a) - Number(b);
    case RANK.date:
      return Math.sign((a as Date).getTime() - (b as Date).getTime());
    case RANK.timestamp: {
      const ta = a as Timestamp;
      const tb = b as Timestamp;
      // Both halves are unsigned: clusterTime seconds pass 2^31 in 2038.
      return Math.sign((ta.high >>> 0) - (tb.high >>> 0)) || Math.sign((ta.low >>> 0) - (tb.low >>> 0));
    }
    case RANK.regex: {
      const pa = a instanceof BSONRegExp ? [a.pattern, a.options] : [(a as RegExp).source, (a as RegExp).flags];
      const pb = b instanceof BSONRegExp ? [b.pattern, b.options] : [(b as RegExp).source, (b as RegExp).flags];
      return compareBytes(utf8(pa[0] ?? ''), utf8(pb[0] ?? '')) || compareBytes(utf8(pa[1] ?? ''), utf8(pb[1] ?? ''));
    }
    default:
      return compareBytes(serialize({ v: a }), serialize({ v: b }));
  }
}

/** Options for reading keys without losing their types (Int32 vs Double vs Long). */
export const EXACT_BSON = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;

/** Compares two BSON-encoded document keys (`{ _id: ... }`) in MongoDB's order. */
export function compareDocumentKeys(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.compare(a, b) === 0) return 0;
  return compareObjects(deserialize(a, EXACT_BSON), deserialize(b, EXACT_BSON));
}


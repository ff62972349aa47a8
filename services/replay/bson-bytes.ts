/**
 * Byte-level reading and writing of BSON documents. The engine patches
 * documents at this level instead of decoding them to JavaScript values and
 * encoding them again: untouched elements are copied byte for byte, and a new
 * value is copied from the event's own BSON, so no type (Int32 vs Double vs
 * Long, -0.0, Binary subtypes, Decimal128) can drift through a round trip.
 * It is also several times faster than deserialize + serialize.
 */

import { RewindError } from '../../contracts/errors.js';

/** One element of a BSON document: `type name\0 value` spans [start, end). */
export interface BsonElement {
  readonly type: number;
  readonly name: string;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

export const BSON_TYPE = {
  double: 0x01,
  string: 0x02,
  document: 0x03,
  array: 0x04,
  binary: 0x05,
  undefined: 0x06,
  objectId: 0x07,
  boolean: 0x08,
  date: 0x09,
  null: 0x0a,
  regex: 0x0b,
  dbPointer: 0x0c,
  code: 0x0d,
  symbol: 0x0e,
  codeWithScope: 0x0f,
  int32: 0x10,
  timestamp: 0x11,
  int64: 0x12,
  decimal128: 0x13,
  minKey: 0xff,
  maxKey: 0x7f,
} as const;

export class BsonBytesError extends RewindError<'BAD_BSON'> {
  constructor(message: string) {
    super('BAD_BSON', message);
    this.name = 'BsonBytesError';
  }
}

/**
 * The little-endian int32 at `at` (0 past the end, which every caller's bounds
 * check then rejects). Plain arithmetic: Buffer#readInt32LE is a call with
 * its own range check, and this runs several times per field.
 */
export function int32At(buf: Uint8Array, at: number): number {
  return ((buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8) | ((buf[at + 2] ?? 0) << 16) | ((buf[at + 3] ?? 0) << 24));
}

/** Size in bytes of a value of `type` starting at `at`. */
export function valueSize(buf: Uint8Array, type: number, at: number): number {
  const view = buf as Buffer;
  switch (type) {
    case 0x01: case 0x09: case 0x11: case 0x12: return 8;
    case 0x02: case 0x0d: case 0x0e: return 4 + checkedInt32(buf, at);
    case 0x03: case 0x04: case 0x0f: return checkedInt32(buf, at);
    case 0x05: return 5 + checkedInt32(buf, at);
    case 0x06: case 0x0a: case 0xff: case 0x7f: return 0;
    case 0x07: return 12;
    case 0x08: return 1;
    case 0x0b: {
      const p = view.indexOf(0, at);
      const o = view.indexOf(0, p + 1);
      if (p < 0 || o < 0) throw new BsonBytesError(`unterminated regex at ${at}`);
      return o + 1 - at;
    }
    case 0x0c: return 4 + checkedInt32(buf, at) + 12;
    case 0x10: return 4;
    case 0x13: return 16;
    default: throw new BsonBytesError(`unknown BSON type 0x${type.toString(16)} at ${at}`);
  }
}

function checkedInt32(buf: Uint8Array, at: number): number {
  if (at + 4 > buf.length) throw new BsonBytesError(`length at ${at} runs past the buffer`);
  return int32At(buf, at);
}

/** The offset of the terminating NUL of the document (or array) at `start`, its length checked. */
export function documentStop(src: Uint8Array, start: number): number {
  if (start + 5 > src.length) throw new BsonBytesError(`document at ${start} runs past the buffer`);
  const size = int32At(src, start);
  const stop = start + size - 1;
  if (size < 5 || stop >= src.length || src[stop] !== 0) throw new BsonBytesError(`bad document length ${size} at ${start}`);
  return stop;
}

/** The end (the NUL) of the field name that starts at `from`, in a document that ends at `stop`. */
export function nameEnd(src: Uint8Array, from: number, stop: number): number {
  // Field names are short: a plain loop beats Buffer#indexOf, which crosses into C++.
  let nul = from;
  while (nul < stop && src[nul] !== 0) nul++;
  if (nul >= stop) throw new BsonBytesError(`unterminated field name at ${from - 1}`);
  return nul;
}

/** The elements of the document (or array) that starts at `start`. */
export function readElements(buf: Buffer, start = 0): BsonElement[] {
  if (start + 5 > buf.length) throw new BsonBytesError(`document at ${start} runs past the buffer`);
  const size = buf.readInt32LE(start);
  const stop = start + size - 1;
  if (size < 5 || stop >= buf.length || buf[stop] !== 0) throw new BsonBytesError(`bad document length ${size} at ${start}`);
  const out: BsonElement[] = [];
  let at = start + 4;
  while (at < stop) {
    const type = buf[at] as number;
    const nul = buf.indexOf(0, at + 1);
    if (nul < 0 || nul >= stop) throw new BsonBytesError(`unterminated field name at ${at}`);
    const name = buf.toString('utf8', at + 1, nul);
    const valueStart = nul + 1;
    const end = valueStart + valueSize(buf, type, valueStart);
    if (end > stop) throw new BsonBytesError(`field ${JSON.stringify(name)} runs past its document`);
    out.push({ type, name, start: at, valueStart, end });
    at = end;
  }
  return out;
}

/** Value bytes of an element (for documents and arrays: the whole embedded document). */
export function valueBytes(buf: Buffer, e: BsonElement): Buffer {
  return buf.subarray(e.valueStart, e.end);
}

const TYPE_BYTES: Buffer[] = [];
function typeByte(type: number): Buffer {
  return (TYPE_BYTES[type] ??= Buffer.from([type]));
}

const NAME_CACHE = new Map<string, Buffer>();
/** `name\0`, cached: array indexes and common field names repeat endlessly. */
export function cstring(name: string): Buffer {
  let b = NAME_CACHE.get(name);
  if (b === undefined) {
    if (name.includes('\0')) throw new BsonBytesError(`field name contains a NUL byte: ${JSON.stringify(name)}`);
    b = Buffer.from(`${name}\0`, 'utf8');
    if (NAME_CACHE.size < 100_000) NAME_CACHE.set(name, b);
  }
  return b;
}

const NAME_BYTES = new Map<string, Buffer>();
/** A field name's UTF-8 bytes (without the NUL), cached like cstring's. */
export function nameBytes(name: string): Buffer {
  let b = NAME_BYTES.get(name);
  if (b === undefined) {
    const c = cstring(name);
    b = c.subarray(0, c.length - 1);
    if (NAME_BYTES.size < 100_000) NAME_BYTES.set(name, b);
  }
  return b;
}

const INDEX_NAMES: Buffer[] = [];
/** The name bytes of array index `i` ("0", "1", ...); the first thousand in an array of their own. */
export function indexName(i: number): Buffer {
  return i < 1000 ? (INDEX_NAMES[i] ??= Buffer.from(String(i), 'utf8')) : nameBytes(String(i));
}

/** Appends the parts of one element to `parts`; returns its length. */
export function pushElement(parts: Buffer[], type: number, name: string, value: Buffer): number {
  const n = cstring(name);
  parts.push(typeByte(type), n, value);
  return 1 + n.length + value.length;
}

/**
 * Wraps element parts of total length `bodyLength` into a document. A
 * `longLived` document gets its own memory: a small Buffer from Node's shared
 * pool would keep a whole 8 KB slab alive for as long as the document lives.
 */
export function buildDocument(parts: Buffer[], bodyLength: number, longLived = false): Buffer {
  const out = longLived ? Buffer.allocUnsafeSlow(bodyLength + 5) : Buffer.allocUnsafe(bodyLength + 5);
  out.writeInt32LE(bodyLength + 5, 0);
  let at = 4;
  for (const p of parts) at += p.copy(out, at);
  out[at] = 0;
  return out;
}

export const EMPTY_DOCUMENT: Buffer = Buffer.from([5, 0, 0, 0, 0]);

/** The element named `name` at the top level of a document, if present. */
export function findElement(buf: Buffer, name: string): BsonElement | undefined {
  for (const e of readElements(buf)) if (e.name === name) return e;
  return undefined;
}

/**
 * The `{ _id: ... }` document of a document key or of a full document: the
 * engine's identity of a document. A sharded collection's documentKey also
 * carries the shard key fields; _id alone identifies the document, as in the
 * snapshot records.
 */
export function idKeyOf(doc: Buffer): Buffer | undefined {
  // Fast path: _id is the first field, as mongod stores documents (and most document keys).
  if (doc.length > 10 && doc[5] === 0x5f && doc[6] === 0x69 && doc[7] === 0x64 && doc[8] === 0) {
    const end = 9 + valueSize(doc, doc[4] as number, 9);
    if (end === doc.length - 1) return doc;
    const parts = [doc.subarray(4, end)];
    return buildDocument(parts, end - 4);
  }
  const e = findElement(doc, '_id');
  if (!e) return undefined;
  const parts: Buffer[] = [];
  const len = pushElement(parts, e.type, '_id', valueBytes(doc, e));
  return buildDocument(parts, len);
}

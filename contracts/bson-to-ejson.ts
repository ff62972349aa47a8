/**
 * BSON bytes → Extended JSON, keeping every document's field order.
 *
 * `EJSON.stringify(deserialize(bytes))` goes through a JavaScript object and
 * so prints digit-only field names first (bson-names.ts). This walks the
 * bytes instead: documents and arrays are written here in byte order, and
 * each scalar value is formatted by bson's own EJSON, so the text is exactly
 * what EJSON would print for a document without such names (which take the
 * plain path, as fast as before).
 */
import { EJSON, deserialize } from './bson.js';
import { hasDigitOnlyNames } from './bson-names.js';

export interface EjsonWriteOptions {
  /** Relaxed Extended JSON (numbers as JSON numbers where exact). Default false: canonical. */
  relaxed?: boolean;
}

const EXACT = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;

function int32(buf: Uint8Array, at: number): number {
  return (buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8) | ((buf[at + 2] ?? 0) << 16) | ((buf[at + 3] ?? 0) << 24);
}

function valueEnd(buf: Uint8Array, type: number, at: number): number {
  switch (type) {
    case 0x01: case 0x09: case 0x11: case 0x12: return at + 8;
    case 0x02: case 0x0d: case 0x0e: return at + 4 + int32(buf, at);
    case 0x03: case 0x04: case 0x0f: return at + int32(buf, at);
    case 0x05: return at + 5 + int32(buf, at);
    case 0x06: case 0x0a: case 0xff: case 0x7f: return at;
    case 0x07: return at + 12;
    case 0x08: return at + 1;
    case 0x0b: {
      let i = at;
      while (buf[i] !== 0 && i < buf.length) i += 1;
      i += 1;
      while (buf[i] !== 0 && i < buf.length) i += 1;
      return i + 1;
    }
    case 0x0c: return at + 4 + int32(buf, at) + 12;
    case 0x10: return at + 4;
    case 0x13: return at + 16;
    default: throw new RangeError(`unknown BSON type 0x${type.toString(16)} at byte ${at}`);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** One scalar element's value as bson's EJSON prints it: the element is wrapped into a one-field document. */
function scalarText(buf: Uint8Array, type: number, valueStart: number, end: number, relaxed: boolean): string {
  const doc = new Uint8Array(4 + 1 + 2 + (end - valueStart) + 1);
  new DataView(doc.buffer).setInt32(0, doc.length, true);
  doc[4] = type;
  doc[5] = 0x76; // "v"
  doc[6] = 0;
  doc.set(buf.subarray(valueStart, end), 7);
  doc[doc.length - 1] = 0;
  const value = (deserialize(doc, EXACT) as { v: unknown }).v;
  return EJSON.stringify(value, { relaxed });
}

function documentText(buf: Uint8Array, start: number, isArray: boolean, relaxed: boolean): string {
  const end = start + int32(buf, start) - 1;
  const parts: string[] = [];
  let at = start + 4;
  while (at < end) {
    const type = buf[at] ?? 0;
    const nameStart = at + 1;
    let nameEnd = nameStart;
    while (buf[nameEnd] !== 0 && nameEnd < end) nameEnd += 1;
    const valueStart = nameEnd + 1;
    const next = valueEnd(buf, type, valueStart);
    let value: string;
    if (type === 0x03 || type === 0x04) value = documentText(buf, valueStart, type === 0x04, relaxed);
    else value = scalarText(buf, type, valueStart, next, relaxed);
    parts.push(isArray ? value : `${JSON.stringify(decoder.decode(buf.subarray(nameStart, nameEnd)))}:${value}`);
    at = next;
  }
  return isArray ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}

/** Extended JSON text of a BSON document, fields in byte order. */
export function bsonToEjson(bytes: Uint8Array, options: EjsonWriteOptions = {}): string {
  const relaxed = options.relaxed ?? false;
  if (!hasDigitOnlyNames(bytes)) return EJSON.stringify(deserialize(bytes, EXACT), { relaxed });
  return documentText(bytes, 0, false, relaxed);
}

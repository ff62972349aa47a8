/**
 * Reading a BSON document's elements in place: where each one's value starts
 * and ends, without decoding anything. The capture path reads change events
 * this way (the fields it needs, the documents as sub-ranges of the server's
 * bytes), so nothing it keeps is ever decoded and encoded again.
 */

import { RewindError } from './errors.js';

export class BsonFormatError extends RewindError<'BAD_BSON'> {
  constructor(message: string) {
    super('BAD_BSON', message);
    this.name = 'BsonFormatError';
  }
}

export function int32At(buf: Uint8Array, at: number): number {
  return (buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8) | ((buf[at + 2] ?? 0) << 16) | ((buf[at + 3] ?? 0) << 24);
}

/** Where a value of `type` starting at `at` ends; throws BsonFormatError for an unknown type or one that runs past `limit`. */
export function valueEnd(buf: Uint8Array, type: number, at: number, limit = buf.length): number {
  let end: number;
  switch (type) {
    case 0x01: case 0x09: case 0x11: case 0x12: end = at + 8; break;
    case 0x02: case 0x0d: case 0x0e: {
      const n = int32At(buf, at);
      if (n < 1) throw new BsonFormatError(`bad string length ${n} at byte ${at}`);
      end = at + 4 + n;
      break;
    }
    case 0x03: case 0x04: case 0x0f: {
      const n = int32At(buf, at);
      if (n < 5) throw new BsonFormatError(`bad document length ${n} at byte ${at}`);
      end = at + n;
      break;
    }
    case 0x05: {
      const n = int32At(buf, at);
      if (n < 0) throw new BsonFormatError(`bad binary length ${n} at byte ${at}`);
      end = at + 5 + n;
      break;
    }
    case 0x06: case 0x0a: case 0xff: case 0x7f: end = at; break;
    case 0x07: end = at + 12; break;
    case 0x08: end = at + 1; break;
    case 0x0b: {
      let i = at;
      while (i < limit && buf[i] !== 0) i += 1;
      i += 1;
      while (i < limit && buf[i] !== 0) i += 1;
      end = i + 1;
      break;
    }
    case 0x0c: {
      const n = int32At(buf, at);
      if (n < 1) throw new BsonFormatError(`bad DBPointer length ${n} at byte ${at}`);
      end = at + 4 + n + 12;
      break;
    }
    case 0x10: end = at + 4; break;
    case 0x13: end = at + 16; break;
    default: throw new BsonFormatError(`unknown BSON type 0x${type.toString(16)} at byte ${at - 1}`);
  }
  if (end > limit) throw new BsonFormatError(`a value of type 0x${type.toString(16)} at byte ${at} runs past its document`);
  return end;
}

/** Checks the framing of the document at `start` and returns where it ends (exclusive). */
export function documentEnd(buf: Uint8Array, start: number, limit = buf.length): number {
  const size = int32At(buf, start);
  if (size < 5 || start + size > limit) throw new BsonFormatError(`bad document length ${size} at byte ${start}`);
  if (buf[start + size - 1] !== 0) throw new BsonFormatError(`the document at byte ${start} does not end with a zero byte`);
  return start + size;
}

/**
 * Calls `visit` for each element of the document at `start`, in byte order:
 * its type, the name's byte range, and the value's byte range.
 */
export function forEachElement(
  buf: Uint8Array,
  start: number,
  visit: (type: number, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number) => void,
): void {
  const end = documentEnd(buf, start) - 1;
  let at = start + 4;
  while (at < end) {
    const type = buf[at] ?? 0;
    const nameStart = at + 1;
    let nameEnd = nameStart;
    while (nameEnd < end && buf[nameEnd] !== 0) nameEnd += 1;
    if (nameEnd >= end) throw new BsonFormatError(`unterminated field name at byte ${nameStart}`);
    const valueStart = nameEnd + 1;
    const next = valueEnd(buf, type, valueStart, end);
    visit(type, nameStart, nameEnd, valueStart, next);
    at = next;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A name or string's bytes as text (UTF-8, refused when invalid). */
export function utf8At(buf: Uint8Array, start: number, end: number): string {
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch {
    throw new BsonFormatError(`invalid UTF-8 at byte ${start}`);
  }
}

/** The value of a string element whose value starts at `valueStart` (invalid UTF-8 refused). */
export function stringValue(buf: Uint8Array, valueStart: number): string {
  const n = int32At(buf, valueStart);
  const start = valueStart + 4;
  const end = start + n - 1;
  // Short ASCII strings (names, operation types, tokens) are most of them: read without a decoder call, as
  // one flat string (appending char by char made a rope of ~n cons strings, which the Avro writer then
  // flattened again to measure it: about 1 KB of garbage per event id).
  if (n <= 64) {
    let i = start;
    while (i < end && (buf[i] as number) < 0x80) i++;
    if (i === end) return asciiAt(buf, start, end);
  }
  return utf8At(buf, start, end);
}

/** ASCII bytes as a string (the caller checked every byte is below 0x80). */
function asciiAt(buf: Uint8Array, start: number, end: number): string {
  const b = buf as Uint8Array & { latin1Slice?: (start: number, end: number) => string };
  return typeof b.latin1Slice === 'function' ? b.latin1Slice(start, end) : String.fromCharCode(...buf.subarray(start, end));
}

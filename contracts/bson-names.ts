/**
 * Finding the field names that JavaScript objects reorder.
 *
 * An object keeps its keys in insertion order except the ones that look like
 * array indexes (digit-only: "0", "2", "10"), which it moves to the front in
 * numeric order. BSON keeps a document's fields in the order they were
 * written, so decoding `{_id, b, "10", "2", a}` into an object and encoding it
 * again gives `{"2", "10", _id, b, a}`: other bytes. Code that must decode a
 * document (to hand it to the driver, or to print it) checks this first and
 * takes an order-keeping path only when it has to.
 */

import { int32At, valueEnd } from './bson-elements.js';

/** True when `name` is made of ASCII digits only (the names an object would reorder, and a few more: "01"). */
export function isDigitOnlyName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * Whether any document inside `bytes` (a BSON document), at any depth, has a
 * digit-only field name. Array element names are digits by definition and do
 * not count; documents inside arrays and code-with-scope scopes do.
 * Malformed bytes answer true, so the caller takes its careful path.
 */
export function hasDigitOnlyNames(bytes: Uint8Array): boolean {
  try {
    return scan(bytes, 0, false);
  } catch {
    return true;
  }
}

function scan(buf: Uint8Array, start: number, isArray: boolean): boolean {
  const size = int32At(buf, start);
  const end = start + size - 1;
  if (size < 5 || end >= buf.length) throw new RangeError('bad document size');
  let at = start + 4;
  while (at < end) {
    const type = buf[at] ?? 0;
    at += 1;
    const nameStart = at;
    let digits = !isArray;
    while (buf[at] !== 0) {
      if (at >= end) throw new RangeError('unterminated name');
      const c = buf[at] ?? 0;
      if (c < 0x30 || c > 0x39) digits = false;
      at += 1;
    }
    if (digits && at > nameStart) return true;
    at += 1;
    if (type === 0x03 || type === 0x04) {
      if (scan(buf, at, type === 0x04)) return true;
    } else if (type === 0x0f) {
      // code with scope: int32 total, the code string, then the scope document.
      if (scan(buf, at + 8 + int32At(buf, at + 4), false)) return true;
    }
    at = valueEnd(buf, type, at, end);
  }
  return false;
}

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

/** True when `name` is made of ASCII digits only (the names an object would reorder, and a few more: "01"). */
export function isDigitOnlyName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function int32(buf: Uint8Array, at: number): number {
  return (buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8) | ((buf[at + 2] ?? 0) << 16) | ((buf[at + 3] ?? 0) << 24);
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
  const size = int32(buf, start);
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
    switch (type) {
      case 0x01: case 0x09: case 0x11: case 0x12: at += 8; break;
      case 0x02: case 0x0d: case 0x0e: at += 4 + int32(buf, at); break;
      case 0x03: case 0x04:
        if (scan(buf, at, type === 0x04)) return true;
        at += int32(buf, at);
        break;
      case 0x05: at += 5 + int32(buf, at); break;
      case 0x06: case 0x0a: case 0xff: case 0x7f: break;
      case 0x07: at += 12; break;
      case 0x08: at += 1; break;
      case 0x0b: {
        while (buf[at] !== 0 && at < end) at += 1;
        at += 1;
        while (buf[at] !== 0 && at < end) at += 1;
        at += 1;
        break;
      }
      case 0x0c: at += 4 + int32(buf, at) + 12; break;
      case 0x0f: {
        const total = int32(buf, at);
        const codeLength = int32(buf, at + 4);
        if (scan(buf, at + 8 + codeLength, false)) return true;
        at += total;
        break;
      }
      case 0x10: at += 4; break;
      case 0x13: at += 16; break;
      default: throw new RangeError(`unknown BSON type ${type}`);
    }
  }
  return false;
}

/**
 * Writes BSON front to back into a buffer it owns and grows. The engine
 * writes a patched document either into a scratch writer (then copies it out)
 * or straight into a document store's slab, where the source document may
 * live in the same buffer: such copies move bytes within one buffer and
 * allocate nothing.
 */

/**
 * Below this many bytes a JavaScript loop beats a call into a typed-array
 * builtin (a byte loop costs 1–2 ns a byte here): `set` with a subarray
 * (another buffer) allocates a view per call (~70 ns), `copyWithin` (within
 * one buffer) does not (~25 ns) and wins far sooner.
 */
const SHORT_COPY = 40;
const SHORT_MOVE = 12;

export class BsonWriter {
  constructor(
    public buf: Buffer,
    public pos = 0,
  ) {}

  /** Makes room for `n` more bytes; the bytes written so far keep their offsets. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(this.pos + n);
  }

  protected grow(needed: number): void {
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, needed));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  copy(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    this.ensure(n);
    const dst = this.buf;
    const p = this.pos;
    if (src === dst && n > SHORT_MOVE) {
      // The source lies before `pos`, so the ranges never overlap.
      dst.copyWithin(p, start, end);
    } else if (n <= SHORT_COPY) {
      for (let i = 0; i < n; i++) dst[p + i] = src[start + i] as number;
    } else if (n === src.length) {
      // A whole buffer (an event's document): no view to allocate.
      dst.set(src, p);
    } else {
      dst.set(src.subarray(start, end), p);
    }
    this.pos = p + n;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** A little-endian int32 (a document's length). */
  int32(v: number): void {
    this.ensure(4);
    const dst = this.buf;
    const p = this.pos;
    dst[p] = v & 0xff;
    dst[p + 1] = (v >>> 8) & 0xff;
    dst[p + 2] = (v >>> 16) & 0xff;
    dst[p + 3] = (v >>> 24) & 0xff;
    this.pos = p + 4;
  }

  /** Type byte and `name\0` of an element whose value follows; the name is `name[start, start + length)`. */
  header(type: number, name: Uint8Array, start: number, length: number): void {
    this.ensure(length + 2);
    const dst = this.buf;
    let p = this.pos;
    dst[p++] = type;
    for (let i = 0; i < length; i++) dst[p++] = name[start + i] as number;
    dst[p++] = 0;
    this.pos = p;
  }

  /** Starts an embedded document or array: returns where its length goes. */
  reserveLength(): number {
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    return at;
  }

  endDocument(lengthAt: number): void {
    this.ensure(1);
    const dst = this.buf;
    dst[this.pos++] = 0;
    const n = this.pos - lengthAt;
    dst[lengthAt] = n & 0xff;
    dst[lengthAt + 1] = (n >>> 8) & 0xff;
    dst[lengthAt + 2] = (n >>> 16) & 0xff;
    dst[lengthAt + 3] = (n >>> 24) & 0xff;
  }
}

/** Copies `src[start, end)` into memory of its own. */
export function copyOut(src: Uint8Array, start: number, end: number): Buffer {
  const n = end - start;
  // allocUnsafe draws from Node's pool: cheap for the short-lived results of applyUpdateDescription.
  const out = Buffer.allocUnsafe(n);
  if (n <= 512) for (let i = 0; i < n; i++) out[i] = src[start + i] as number;
  else out.set(src.subarray(start, end));
  return out;
}

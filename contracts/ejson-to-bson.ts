/**
 * Extended JSON text → BSON bytes, keeping every document's field order.
 *
 * `EJSON.parse` builds JavaScript objects first, and an object moves
 * digit-only keys to the front (bson-names.ts): `{"b":1,"10":2,"2":3}` comes
 * out as `{"2":3,"10":2,"b":1}`. This reader parses the text itself into an
 * ordered tree and writes BSON straight from it, so the bytes have the fields
 * in the order of the text. Types follow bson's EJSON exactly (canonical and
 * relaxed), so for text without digit-only keys the bytes equal
 * `serialize(EJSON.parse(text))` — which is also the fast path taken then.
 *
 * Used by the change-event corpus (events as the bytes a server sends), by
 * `--id`, and by importers of Extended JSON files.
 */
import { RewindError } from './errors.js';
import { Buffer } from 'node:buffer';
import { EJSON, serialize } from './bson.js';

export class ExtendedJsonError extends RewindError<'BAD_EXTENDED_JSON'> {
  /** Character offset in the text where the problem is. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super('BAD_EXTENDED_JSON', `${message} (at character ${offset})`, { context: { offset } });
    this.name = 'ExtendedJsonError';
    this.offset = offset;
  }
}

export interface EjsonReadOptions {
  /** Relaxed Extended JSON: plain numbers are int32 when they fit, else double (as `EJSON.parse({relaxed: true})`). Default false (canonical: int32, int64, double). */
  relaxed?: boolean;
}

type Node =
  | { t: 'object'; entries: [string, Node][]; at: number }
  | { t: 'array'; items: Node[]; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: number; at: number }
  | { t: 'bool'; v: boolean; at: number }
  | { t: 'null'; at: number };

class Parser {
  at = 0;
  constructor(readonly text: string) {}

  fail(message: string, at = this.at): never {
    throw new ExtendedJsonError(message, at);
  }

  ws(): void {
    const s = this.text;
    while (this.at < s.length) {
      const c = s.charCodeAt(this.at);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.at += 1;
      else break;
    }
  }

  value(): Node {
    this.ws();
    const at = this.at;
    const c = this.text[at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { t: 'string', v: this.string(), at };
    if (c === 't' && this.text.startsWith('true', at)) return (this.at += 4), { t: 'bool', v: true, at };
    if (c === 'f' && this.text.startsWith('false', at)) return (this.at += 5), { t: 'bool', v: false, at };
    if (c === 'n' && this.text.startsWith('null', at)) return (this.at += 4), { t: 'null', at };
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = at;
    const num = m.exec(this.text);
    if (num && num[0].length > 0) {
      this.at += num[0].length;
      return { t: 'number', v: Number(num[0]), at };
    }
    return this.fail(c === undefined ? 'unexpected end of text' : `unexpected ${JSON.stringify(c)}`);
  }

  string(): string {
    const start = this.at;
    const s = this.text;
    let i = start + 1;
    let escaped = false;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 1;
      } else if (c < 0x20) this.fail('control character in a string', i);
    }
    if (i >= s.length) this.fail('unterminated string', start);
    this.at = i + 1;
    const raw = s.slice(start, i + 1);
    if (!escaped) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return this.fail('bad escape in a string', start);
    }
  }

  object(): Node {
    const at = this.at;
    this.at += 1;
    const entries: [string, Node][] = [];
    this.ws();
    if (this.text[this.at] === '}') {
      this.at += 1;
      return { t: 'object', entries, at };
    }
    for (;;) {
      this.ws();
      if (this.text[this.at] !== '"') this.fail('expected a field name');
      const key = this.string();
      this.ws();
      if (this.text[this.at] !== ':') this.fail("expected ':'");
      this.at += 1;
      entries.push([key, this.value()]);
      this.ws();
      const c = this.text[this.at];
      this.at += 1;
      if (c === '}') return { t: 'object', entries, at };
      if (c !== ',') this.fail("expected ',' or '}'", this.at - 1);
    }
  }

  array(): Node {
    const at = this.at;
    this.at += 1;
    const items: Node[] = [];
    this.ws();
    if (this.text[this.at] === ']') {
      this.at += 1;
      return { t: 'array', items, at };
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      const c = this.text[this.at];
      this.at += 1;
      if (c === ']') return { t: 'array', items, at };
      if (c !== ',') this.fail("expected ',' or ']'", this.at - 1);
    }
  }
}

/** A growable byte buffer with back-patched lengths. */
class Out {
  buf = Buffer.allocUnsafe(256);
  len = 0;

  room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }
  int32(v: number): void {
    this.room(4);
    this.buf.writeInt32LE(v, this.len);
    this.len += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  cstring(s: string, at: number): void {
    if (s.includes('\0')) throw new ExtendedJsonError('a field name or pattern contains a NUL character', at);
    const n = Buffer.byteLength(s, 'utf8');
    this.room(n + 1);
    this.buf.write(s, this.len, 'utf8');
    this.len += n;
    this.buf[this.len++] = 0;
  }
  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.int32(n + 1);
    this.room(n + 1);
    this.buf.write(s, this.len, 'utf8');
    this.len += n;
    this.buf[this.len++] = 0;
  }
  patchLength(start: number): void {
    this.buf.writeInt32LE(this.len - start, start);
  }
}

const WRAPPER_KEYS = new Set([
  '$oid', '$date', '$numberInt', '$numberLong', '$numberDouble', '$numberDecimal', '$binary', '$uuid', '$timestamp',
  '$regularExpression', '$regex', '$minKey', '$maxKey', '$undefined', '$symbol', '$code', '$dbPointer',
]);

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

/**
 * A scalar Extended JSON wrapper's BSON element, by bson's own EJSON: the wrapper is one small object whose
 * key order cannot matter, so bson reads it exactly as `EJSON.parse` would (and rejects what it rejects).
 */
function wrapperElement(node: Node & { t: 'object' }, relaxed: boolean): { type: number; value: Buffer } {
  checkNumberText(node);
  const json = JSON.stringify({ v: plain(node) });
  let bytes: Uint8Array;
  try {
    bytes = serialize(EJSON.parse(json, { relaxed }) as object);
  } catch (cause) {
    throw new ExtendedJsonError(`bad Extended JSON ${node.entries[0]?.[0] ?? ''} value: ${(cause as Error).message}`, node.at);
  }
  // { v: <value> }: int32 size, type, "v\0", value, final 0.
  const type = bytes[4] ?? 0;
  return { type, value: Buffer.from(bytes.subarray(7, bytes.length - 1)) };
}

const INTEGER_TEXT = /^-?\d+$/;
const DOUBLE_TEXT = /^(?:-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|-?Infinity|NaN)$/;

/** bson reads `{"$numberInt": "x"}` as 0 and an out-of-range one wrapped: refused here instead (a typo must not become a value). */
function checkNumberText(node: Node & { t: 'object' }): void {
  const [key, value] = node.entries[0] ?? [];
  if (key !== '$numberInt' && key !== '$numberLong' && key !== '$numberDouble') return;
  const text = value?.t === 'string' ? value.v : null;
  const ok =
    text !== null &&
    (key === '$numberDouble'
      ? DOUBLE_TEXT.test(text)
      : INTEGER_TEXT.test(text) &&
        (key === '$numberInt' ? Number(text) >= INT32_MIN && Number(text) <= INT32_MAX : BigInt(text) >= -(2n ** 63n) && BigInt(text) < 2n ** 63n));
  if (!ok) throw new ExtendedJsonError(`${key} needs ${key === '$numberDouble' ? 'a number' : 'an integer in range'} as a string, not ${JSON.stringify(plain(value ?? { t: 'null', at: 0 }))}`, node.at);
}

/** A JSON-compatible value of a node (for the wrappers, whose key order never matters). */
function plain(node: Node): unknown {
  switch (node.t) {
    case 'object':
      return Object.fromEntries(node.entries.map(([k, v]) => [k, plain(v)]));
    case 'array':
      return node.items.map(plain);
    case 'null':
      return null;
    default:
      return node.v;
  }
}

function isWrapper(node: Node & { t: 'object' }): boolean {
  const first = node.entries[0];
  if (first === undefined || !WRAPPER_KEYS.has(first[0])) return false;
  // {$regex: …} with a non-string value is the query operator, not the legacy regular expression form.
  if (first[0] === '$regex' && first[1].t !== 'string') return false;
  return true;
}

function writeElement(out: Out, name: string, node: Node, relaxed: boolean): void {
  switch (node.t) {
    case 'object': {
      if (isWrapper(node)) {
        const { type, value } = wrapperElement(node, relaxed);
        out.byte(type);
        out.cstring(name, node.at);
        out.bytes(value);
        return;
      }
      out.byte(0x03);
      out.cstring(name, node.at);
      writeDocument(out, node.entries, relaxed);
      return;
    }
    case 'array': {
      out.byte(0x04);
      out.cstring(name, node.at);
      writeDocument(out, node.items.map((item, i) => [String(i), item]), relaxed);
      return;
    }
    case 'string':
      out.byte(0x02);
      out.cstring(name, node.at);
      out.string(node.v);
      return;
    case 'bool':
      out.byte(0x08);
      out.cstring(name, node.at);
      out.byte(node.v ? 1 : 0);
      return;
    case 'null':
      out.byte(0x0a);
      out.cstring(name, node.at);
      return;
    case 'number': {
      const v = node.v;
      const integer = Number.isInteger(v) && !Object.is(v, -0);
      if (integer && v >= INT32_MIN && v <= INT32_MAX) {
        out.byte(0x10);
        out.cstring(name, node.at);
        out.int32(v);
      } else if (!relaxed && integer && Number.isSafeInteger(v)) {
        out.byte(0x12);
        out.cstring(name, node.at);
        out.room(8);
        out.buf.writeBigInt64LE(BigInt(v), out.len);
        out.len += 8;
      } else {
        out.byte(0x01);
        out.cstring(name, node.at);
        out.room(8);
        out.buf.writeDoubleLE(v, out.len);
        out.len += 8;
      }
      return;
    }
  }
}

function writeDocument(out: Out, entries: readonly [string, Node][], relaxed: boolean): void {
  const start = out.len;
  out.int32(0);
  for (const [name, node] of entries) writeElement(out, name, node, relaxed);
  out.byte(0);
  out.patchLength(start);
}

function parseTree(text: string): Node & { t: 'object' } {
  const p: Parser = new Parser(text);
  const root = p.value();
  p.ws();
  if (p.at !== text.length) p.fail('unexpected text after the document');
  if (root.t !== 'object') p.fail('expected a document ({…})', root.at);
  if (isWrapper(root)) p.fail(`a document was expected, not a ${root.entries[0]?.[0] ?? ''} value`, root.at);
  return root;
}

/** Extended JSON text of one document → its BSON bytes, fields in the text's order (the order-keeping path, always). */
export function ejsonToBsonOrdered(text: string, options: EjsonReadOptions = {}): Buffer {
  const root = parseTree(text);
  const out = new Out();
  writeDocument(out, root.entries, options.relaxed ?? false);
  return Buffer.from(out.buf.subarray(0, out.len));
}

/**
 * Text the fast path cannot read exactly: a key made of digits only (possibly written with \u escapes), or a
 * number wrapper whose text bson would misread (checkNumberText). Such text takes the ordered reader.
 */
const NEEDS_ORDERED =
  /"(?:\d|\\u003\d)+"\s*:|"\$number(?:Int|Long)"\s*:\s*(?!"-?\d{1,19}")|"\$numberDouble"\s*:\s*(?!"(?:-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|-?Infinity|NaN)")/;

/**
 * Extended JSON text of one document → BSON bytes in the text's field order. Text with no digit-only key is
 * read by bson's EJSON (native JSON.parse underneath, several times faster); any other text by the ordered reader.
 */
export function ejsonToBson(text: string, options: EjsonReadOptions = {}): Buffer {
  if (NEEDS_ORDERED.test(text)) return ejsonToBsonOrdered(text, options);
  let value: unknown;
  try {
    value = EJSON.parse(text, { relaxed: options.relaxed ?? false });
  } catch {
    // The ordered reader words the error with its offset.
    return ejsonToBsonOrdered(text, options);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || '_bsontype' in value) {
    return ejsonToBsonOrdered(text, options);
  }
  const bytes = serialize(value);
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Extended JSON text of one value (`42`, `"a"`, `{"$oid": …}`, `{"b": 1, "1": 2}`) → BSON bytes of `{ [name]: value }`. */
export function ejsonValueToBson(name: string, text: string, options: EjsonReadOptions = {}): Buffer {
  return ejsonToBson(`{${JSON.stringify(name)}:${text}}`, options);
}

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
import { forEachElement, utf8At } from './bson-elements.js';
import { hasDigitOnlyNames } from './bson-names.js';

export interface EjsonWriteOptions {
  /** Relaxed Extended JSON (numbers as JSON numbers where exact). Default false: canonical. */
  relaxed?: boolean;
  /** Spaces per level, laid out as `JSON.stringify(value, null, indent)` does. Default 0: one line. */
  indent?: number;
}

const EXACT = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;

/** One scalar element's value as bson's EJSON prints it: the element is wrapped into a one-field document. */
function scalarText(buf: Uint8Array, type: number, valueStart: number, end: number, relaxed: boolean, indent: number, pad: string): string {
  const doc = new Uint8Array(4 + 1 + 2 + (end - valueStart) + 1);
  new DataView(doc.buffer).setInt32(0, doc.length, true);
  doc[4] = type;
  doc[5] = 0x76; // "v"
  doc[6] = 0;
  doc.set(buf.subarray(valueStart, end), 7);
  doc[doc.length - 1] = 0;
  const value = (deserialize(doc, EXACT) as { v: unknown }).v;
  const text = EJSON.stringify(value, undefined, indent, { relaxed });
  return indent > 0 ? text.replaceAll('\n', `\n${pad}`) : text;
}

function documentText(buf: Uint8Array, start: number, isArray: boolean, relaxed: boolean, indent: number, pad: string): string {
  const inner = indent > 0 ? pad + ' '.repeat(indent) : '';
  const parts: string[] = [];
  forEachElement(buf, start, (type, nameStart, nameEnd, valueStart, valueEnd) => {
    const value =
      type === 0x03 || type === 0x04
        ? documentText(buf, valueStart, type === 0x04, relaxed, indent, inner)
        : scalarText(buf, type, valueStart, valueEnd, relaxed, indent, inner);
    parts.push(isArray ? value : `${JSON.stringify(utf8At(buf, nameStart, nameEnd))}:${indent > 0 ? ' ' : ''}${value}`);
  });
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  if (parts.length === 0) return open + close;
  if (indent === 0) return `${open}${parts.join(',')}${close}`;
  return `${open}\n${inner}${parts.join(`,\n${inner}`)}\n${pad}${close}`;
}

/** Extended JSON text of a BSON document, fields in byte order. */
export function bsonToEjsonOrdered(bytes: Uint8Array, options: EjsonWriteOptions = {}): string {
  return documentText(bytes, 0, false, options.relaxed ?? false, options.indent ?? 0, '');
}

/** Extended JSON text of a BSON document, fields in byte order (the plain EJSON path when no name is digit-only). */
export function bsonToEjson(bytes: Uint8Array, options: EjsonWriteOptions = {}): string {
  const relaxed = options.relaxed ?? false;
  const indent = options.indent ?? 0;
  if (!hasDigitOnlyNames(bytes)) return EJSON.stringify(deserialize(bytes, EXACT), undefined, indent, { relaxed });
  return documentText(bytes, 0, false, relaxed, indent, '');
}

/**
 * A document's bytes as the driver must be handed them to write exactly
 * those bytes.
 *
 * The driver only writes JavaScript values, which it serializes itself: there
 * is no public way to give it a document as bytes. Decoding without promoting
 * types (EXACT_BSON) gives values it encodes back to the very same bytes —
 * except field order where a name is made of digits only, which an object
 * moves to the front. Such documents are rebuilt as ordered maps (bson writes
 * a Map in insertion order), level by level, from the order in the bytes; all
 * others take the plain, cheaper path.
 */
import { deserialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { forEachElement, utf8At } from '../../contracts/bson-elements.js';
import { hasDigitOnlyNames } from '../../contracts/bson-names.js';
import { EXACT_BSON } from '../../contracts/document-key.js';

/**
 * A document whose fields keep their order, digit-only names included. `_id` reads and writes the entry, so
 * the driver's "add an _id when missing" check sees the one the document has.
 */
export class OrderedDocument extends Map<string, unknown> {
  get _id(): unknown {
    return this.get('_id');
  }
  set _id(value: unknown) {
    this.set('_id', value);
  }
}

function ordered(bytes: Uint8Array, start: number, decoded: Record<string, unknown>): OrderedDocument {
  const out = new OrderedDocument();
  forEachElement(bytes, start, (type, nameStart, nameEnd, valueStart) => {
    const name = utf8At(bytes, nameStart, nameEnd);
    out.set(name, value(bytes, type, valueStart, decoded[name]));
  });
  return out;
}

function value(bytes: Uint8Array, type: number, valueStart: number, decoded: unknown): unknown {
  if (type === 0x03) return ordered(bytes, valueStart, decoded as Record<string, unknown>);
  if (type === 0x04) {
    const items = decoded as unknown[];
    const out: unknown[] = [];
    let i = 0;
    forEachElement(bytes, valueStart, (t, _ns, _ne, vs) => {
      out.push(value(bytes, t, vs, items[i]));
      i += 1;
    });
    return out;
  }
  return decoded;
}

/** The value to give the driver for a document's bytes: one it serializes back to exactly these bytes. */
export function documentForDriver(bytes: Uint8Array): Document {
  const decoded = deserialize(bytes, EXACT_BSON);
  if (!hasDigitOnlyNames(bytes)) return decoded;
  return ordered(bytes, 0, decoded);
}

/**
 * Document keys as restore handles them: BSON bytes of `{ _id: … }`, the same
 * shape as snapshot records' `key`. Taken from a raw document without decoding
 * the rest of it (the live side of a diff is read as raw BSON, and decoding
 * every document only to find its _id would dominate the scan), and shown to
 * people and reports as canonical Extended JSON of the _id value.
 */
import { EJSON, deserialize, onDemand, serialize } from '../../contracts/bson.js';
import { EXACT_BSON, compareDocumentKeys } from '../../contracts/index.js';
import { RestoreError } from './errors.js';
import { ejsonValueToBson } from '../../contracts/ejson-to-bson.js';

/** The `{ _id: … }` key of a raw BSON document, as BSON bytes. */
export function documentKeyOf(document: Uint8Array): Uint8Array {
  for (const [, nameOffset, nameLength, offset, length] of onDemand.parseToElements(document)) {
    // "_id" is 0x5f 0x69 0x64.
    if (nameLength === 3 && document[nameOffset] === 0x5f && document[nameOffset + 1] === 0x69 && document[nameOffset + 2] === 0x64) {
      const start = nameOffset - 1; // the element's type byte
      const end = offset + length;
      const key = Buffer.alloc(4 + (end - start) + 1);
      key.writeInt32LE(key.length, 0);
      key.set(document.subarray(start, end), 4);
      return key;
    }
  }
  throw new RestoreError('BAD_KEY', 'a document without _id cannot be keyed');
}

/** The _id value of a key, deserialized without changing its type. */
export function keyValue(key: Uint8Array): unknown {
  return (deserialize(key, EXACT_BSON) as { _id: unknown })._id;
}

/** Canonical Extended JSON of the _id value: exact (Int32 vs Long vs Double), stable, parseable back. */
export function keyToText(key: Uint8Array): string {
  return EJSON.stringify(keyValue(key), { relaxed: false });
}

/** The _id as a canonical Extended JSON value (for JSON reports). */
export function keyToJson(key: Uint8Array): unknown {
  return EJSON.serialize({ _id: keyValue(key) }, { relaxed: false })._id as unknown;
}

export function keyFromValue(value: unknown): Uint8Array {
  return serialize({ _id: value });
}

/** Parses `--id` text (Extended JSON of the _id value: `{"$oid":"…"}`, `42`, `"abc"`). */
export function keyFromText(text: string): Uint8Array {
  let key: Uint8Array;
  try {
    // Read straight into bytes: an _id that is a document keeps its field order, digit-only names included.
    key = ejsonValueToBson('_id', text.trim());
  } catch (cause) {
    throw new RestoreError('BAD_KEY', `--id ${JSON.stringify(text)} is not Extended JSON (e.g. '{"$oid":"64b7…"}', 42, '"sku-1"')`, { cause });
  }
  // type byte of the one element, after the int32 size: 0x04 array, 0x06 undefined.
  if (key[4] === 0x04 || key[4] === 0x06) {
    throw new RestoreError('BAD_KEY', `--id ${JSON.stringify(text)}: an _id cannot be an array or undefined`);
  }
  return key;
}

/** Parses a key written by keyToJson (a report's entry). */
export function keyFromJson(json: unknown): Uint8Array {
  try {
    const value = (EJSON.deserialize({ _id: json }, { relaxed: false }) as { _id: unknown })._id;
    return keyFromValue(value);
  } catch (cause) {
    throw new RestoreError('BAD_REPORT', `not a document key: ${JSON.stringify(json)}`, { cause });
  }
}

/** A set of keys in MongoDB's order, for `--id` and `--keys-from`: sorted once, searched by bisection. */
export class KeySet {
  private readonly keys: Uint8Array[];

  constructor(keys: Iterable<Uint8Array>) {
    const sorted = [...keys].sort(compareDocumentKeys);
    this.keys = sorted.filter((k, i) => i === 0 || compareDocumentKeys(sorted[i - 1] as Uint8Array, k) !== 0);
  }

  get size(): number {
    return this.keys.length;
  }

  values(): readonly Uint8Array[] {
    return this.keys;
  }

  has(key: Uint8Array): boolean {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareDocumentKeys(this.keys[mid] as Uint8Array, key);
      if (c === 0) return true;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

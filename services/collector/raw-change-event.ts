/**
 * A change event as the server sent it: its BSON bytes, with the top-level
 * fields the collector reads located in one pass over them. Nothing is
 * decoded until asked for, and documents (fullDocument, documentKey, the
 * pre-image, updatedFields…) are handed on as sub-ranges of these bytes: the
 * server's own bytes, field order and types untouched.
 */
import { RewindError } from '../../contracts/errors.js';
import { Buffer } from 'node:buffer';
import { BsonFormatError, documentEnd, forEachElement, int32At, stringValue, utf8At, valueEnd } from '../../contracts/bson-elements.js';

export const EVENT_FIELDS = [
  '_id',
  'operationType',
  'clusterTime',
  'wallTime',
  'ns',
  'to',
  'collectionUUID',
  'documentKey',
  'fullDocument',
  'fullDocumentBeforeChange',
  'updateDescription',
  'operationDescription',
  'lsid',
  'txnNumber',
  'splitEvent',
] as const;

export type EventField = (typeof EVENT_FIELDS)[number];

/** Field → its index in EVENT_FIELDS: an object literal, so that each accessor's lookup is a constant-key load. */
const IDX = Object.freeze(Object.fromEntries(EVENT_FIELDS.map((f, i) => [f, i])) as Record<EventField, number>);

/** The fields' names as bytes, by name length: an element's name is matched without making a string. */
const NAMES_BY_LENGTH: (readonly [Uint8Array, number][] | undefined)[] = [];
EVENT_FIELDS.forEach((f, i) => {
  const bytes = Buffer.from(f, 'latin1');
  NAMES_BY_LENGTH[bytes.length] = [...(NAMES_BY_LENGTH[bytes.length] ?? []), [bytes, i] as const];
});

/** The EVENT_FIELDS index of the name in buf[start, end), or -1. */
function fieldIndex(buf: Uint8Array, start: number, end: number): number {
  const candidates = NAMES_BY_LENGTH[end - start];
  if (candidates === undefined) return -1;
  for (const [name, index] of candidates) {
    let i = 0;
    while (i < name.length && name[i] === buf[start + i]) i += 1;
    if (i === name.length) return index;
  }
  return -1;
}

export const BSON = {
  double: 0x01,
  string: 0x02,
  document: 0x03,
  array: 0x04,
  binary: 0x05,
  bool: 0x08,
  date: 0x09,
  null: 0x0a,
  int32: 0x10,
  timestamp: 0x11,
  int64: 0x12,
} as const;

/** The bytes are not a BSON document (or a field of the event is not framed as BSON). */
export class RawEventFormatError extends RewindError<'MALFORMED_CHANGE_EVENT'> {
  constructor(message: string, cause?: unknown) {
    super('MALFORMED_CHANGE_EVENT', message, { cause });
    this.name = 'RawEventFormatError';
  }
}

/** Per field: its BSON type (0 when absent), where its value starts and where it ends. */
const SLOT_TYPE = 0;
const SLOT_VALUE_START = 1;
const SLOT_VALUE_END = 2;
const SLOTS_PER_FIELD = 3;
/** Copied for each event: one small array of small integers (typed arrays per event cost four objects each). */
const NO_SLOTS: readonly number[] = new Array<number>(EVENT_FIELDS.length * SLOTS_PER_FIELD).fill(0);
/** The length of each field's name: an element starts its name's length plus two bytes before its value. */
const NAME_LENGTHS: readonly number[] = EVENT_FIELDS.map((f) => f.length);

/**
 * The last few distinct short strings read at one place, by their bytes. Event after event repeats the
 * same operation types and namespaces: a repeat returns the string read the first time, with no new
 * string made.
 */
export class RecentStrings {
  private readonly keys: Uint8Array[] = [];
  private readonly values: string[] = [];
  private next = 0;

  constructor(private readonly size: number) {}

  /** The value of the string element whose value starts at `valueStart`, as stringValue reads it. */
  get(buf: Uint8Array, valueStart: number): string {
    const n = int32At(buf, valueStart) - 1;
    const start = valueStart + 4;
    if (n < 0 || n > 64) return stringValue(buf, valueStart);
    const keys = this.keys;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k] as Uint8Array;
      if (key.length !== n) continue;
      let i = 0;
      while (i < n && key[i] === buf[start + i]) i++;
      if (i === n) return this.values[k] as string;
    }
    const value = stringValue(buf, valueStart);
    const slot = this.next;
    this.next = (slot + 1) % this.size;
    keys[slot] = buf.slice(start, start + n);
    this.values[slot] = value;
    return value;
  }
}

const operationTypes = new RecentStrings(8);
const namespaceNames = new RecentStrings(16);

export class RawChangeEvent {
  /** Per EVENT_FIELDS index i: slots[3i] the BSON type (0 when absent), slots[3i + 1, 3i + 2] the value's range. */
  private readonly slots: number[] = NO_SLOTS.slice();
  /** namespace('ns') once read: the collector and the normalizer both ask. */
  private ns: { db: string | undefined; coll: string | undefined } | undefined | null = null;

  private constructor(readonly bytes: Buffer) {}

  /** Locates the fields of one event; throws RawEventFormatError when the bytes are not a well-framed document. */
  static read(bytes: Uint8Array): RawChangeEvent {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const event = new RawChangeEvent(buf);
    const slots = event.slots;
    try {
      if (documentEnd(buf, 0) !== buf.length) throw new BsonFormatError(`the event is ${buf.length} bytes but its header says ${int32At(buf, 0)}`);
      // One pass over the top-level elements, inline (this runs for every event the stream delivers).
      const end = buf.length - 1;
      let at = 4;
      while (at < end) {
        const type = buf[at] as number;
        const nameStart = at + 1;
        let nameEnd = nameStart;
        while (nameEnd < end && buf[nameEnd] !== 0) nameEnd += 1;
        if (nameEnd >= end) throw new BsonFormatError(`unterminated field name at byte ${nameStart}`);
        const valueStart = nameEnd + 1;
        const next = valueEnd(buf, type, valueStart, end);
        const index = fieldIndex(buf, nameStart, nameEnd);
        if (index >= 0) {
          const s = index * SLOTS_PER_FIELD;
          slots[s + SLOT_TYPE] = type;
          slots[s + SLOT_VALUE_START] = valueStart;
          slots[s + SLOT_VALUE_END] = next;
        }
        at = next;
      }
    } catch (cause) {
      throw new RawEventFormatError(`the change event is not a well-formed BSON document: ${(cause as Error).message}`, cause);
    }
    return event;
  }

  /** The BSON type of a field, or 0 when the event has none. */
  type(field: EventField): number {
    return this.slots[IDX[field] * SLOTS_PER_FIELD + SLOT_TYPE] ?? 0;
  }

  /** The value's bytes (a view of the event's), for a field that is present. */
  value(field: EventField): Buffer {
    const s = IDX[field] * SLOTS_PER_FIELD;
    return this.bytes.subarray(this.slots[s + SLOT_VALUE_START], this.slots[s + SLOT_VALUE_END]);
  }

  /** The whole element (type, name, value) as bytes, for a field that is present. */
  element(field: EventField): Buffer {
    const i = IDX[field];
    const s = i * SLOTS_PER_FIELD;
    return this.bytes.subarray((this.slots[s + SLOT_VALUE_START] as number) - (NAME_LENGTHS[i] as number) - 2, this.slots[s + SLOT_VALUE_END]);
  }

  valueStart(field: EventField): number {
    return this.slots[IDX[field] * SLOTS_PER_FIELD + SLOT_VALUE_START] ?? 0;
  }

  /** A string field's value, or undefined when absent or not a string. */
  string(field: EventField): string | undefined {
    if (this.type(field) !== BSON.string) return undefined;
    // Operation types repeat event after event: the same string each time, none made.
    return field === 'operationType' ? operationTypes.get(this.bytes, this.valueStart(field)) : stringValue(this.bytes, this.valueStart(field));
  }

  /** A timestamp field as seconds and increment, or undefined when absent or not a timestamp. */
  timestamp(field: EventField): { seconds: number; increment: number } | undefined {
    if (this.type(field) !== BSON.timestamp) return undefined;
    const at = this.valueStart(field);
    // A BSON timestamp is the increment (low 4 bytes) then the seconds (high 4 bytes), little-endian.
    return { increment: this.bytes.readUInt32LE(at), seconds: this.bytes.readUInt32LE(at + 4) };
  }

  /** The resume token's `_data` string (the event id), or undefined when the event has no such token. */
  tokenData(): string | undefined {
    if (this.type('_id') !== BSON.document) return undefined;
    const buf = this.bytes;
    let data: string | undefined;
    // "_data" = 5f 64 61 74 61; the last one counts, as a decoder's would.
    const start = this.valueStart('_id');
    const end = documentEnd(buf, start) - 1;
    for (let at = start + 4; at < end; ) {
      const type = buf[at] as number;
      const nameStart = at + 1;
      let nameEnd = nameStart;
      while (nameEnd < end && buf[nameEnd] !== 0) nameEnd += 1;
      if (nameEnd >= end) throw new BsonFormatError(`unterminated field name at byte ${nameStart}`);
      const valueStart = nameEnd + 1;
      at = valueEnd(buf, type, valueStart, end);
      if (type === BSON.string && nameEnd - nameStart === 5 && buf[nameStart] === 0x5f && buf[nameStart + 1] === 0x64 && buf[nameStart + 2] === 0x61 && buf[nameStart + 3] === 0x74 && buf[nameStart + 4] === 0x61) {
        data = stringValue(buf, valueStart);
      }
    }
    return data;
  }

  /** A fragment's `splitEvent: {fragment, of}`, or undefined when the event is whole. */
  splitEvent(): { fragment: number | undefined; of: number | undefined } | undefined {
    if (this.type('splitEvent') === 0) return undefined;
    const f = this.subFields('splitEvent');
    const n = f?.get('fragment');
    const of = f?.get('of');
    return { fragment: n ? integerAt(this.bytes, n[0], n[1]) : undefined, of: of ? integerAt(this.bytes, of[0], of[1]) : undefined };
  }

  /** `db` and `coll` of a namespace field (ns, to) when they are strings; undefined when the field is not a document. */
  namespace(field: 'ns' | 'to'): { db: string | undefined; coll: string | undefined } | undefined {
    if (field === 'ns' && this.ns !== null) return this.ns;
    const ns = this.readNamespace(field);
    if (field === 'ns') this.ns = ns;
    return ns;
  }

  private readNamespace(field: 'ns' | 'to'): { db: string | undefined; coll: string | undefined } | undefined {
    if (this.type(field) !== BSON.document) return undefined;
    const buf = this.bytes;
    let db: string | undefined;
    let coll: string | undefined;
    // {db: <string>, coll: <string>}: two short names, matched by their bytes (d=0x64 b=0x62, c o l l); the last one counts.
    const start = this.valueStart(field);
    const end = documentEnd(buf, start) - 1;
    for (let at = start + 4; at < end; ) {
      const type = buf[at] as number;
      const nameStart = at + 1;
      let nameEnd = nameStart;
      while (nameEnd < end && buf[nameEnd] !== 0) nameEnd += 1;
      if (nameEnd >= end) throw new BsonFormatError(`unterminated field name at byte ${nameStart}`);
      const valueStart = nameEnd + 1;
      at = valueEnd(buf, type, valueStart, end);
      if (type !== BSON.string) continue;
      const n = nameEnd - nameStart;
      if (n === 2 && buf[nameStart] === 0x64 && buf[nameStart + 1] === 0x62) db = namespaceNames.get(buf, valueStart);
      else if (n === 4 && buf[nameStart] === 0x63 && buf[nameStart + 1] === 0x6f && buf[nameStart + 2] === 0x6c && buf[nameStart + 3] === 0x6c) coll = namespaceNames.get(buf, valueStart);
    }
    return { db, coll };
  }

  /** The fields of a small sub-document (ns, to, splitEvent…) as name → [type, valueStart]; undefined when it is not a document. */
  subFields(field: EventField): Map<string, [number, number]> | undefined {
    if (this.type(field) !== BSON.document) return undefined;
    return subFields(this.bytes, this.valueStart(field));
  }
}

/** name → [type, valueStart] of the document at `start`. */
export function subFields(buf: Buffer, start: number): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  forEachElement(buf, start, (type, nameStart, nameEnd, valueStart) => {
    out.set(utf8At(buf, nameStart, nameEnd), [type, valueStart]);
  });
  return out;
}

/** A string field of the document at `start`, or undefined when absent or not a string. */
export function stringField(buf: Buffer, start: number, name: string): string | undefined {
  const f = subFields(buf, start).get(name);
  return f && f[0] === BSON.string ? stringValue(buf, f[1]) : undefined;
}

/** A BSON int64 (a date's milliseconds) as a number, exactly as Number(readBigInt64LE) gives it, without making a BigInt when it fits 53 bits. */
export function int64At(buf: Buffer, at: number): number {
  const high = buf.readInt32LE(at + 4);
  if (high >= -0x20_0000 && high < 0x20_0000) return high * 0x1_0000_0000 + buf.readUInt32LE(at);
  return Number(buf.readBigInt64LE(at));
}

/** An integer held as int32, int64 or an integral double, or undefined. */
export function integerAt(buf: Buffer, type: number, at: number): number | undefined {
  if (type === BSON.int32) return buf.readInt32LE(at);
  if (type === BSON.int64) {
    const v = buf.readBigInt64LE(at);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
  }
  if (type === BSON.double) {
    const v = buf.readDoubleLE(at);
    return Number.isInteger(v) ? v : undefined;
  }
  return undefined;
}

/**
 * A change event's BSON bytes, as the server sent them → the ChangeEvent
 * contract (contracts/avro/change-event.ts).
 *
 * The fields the collector needs are read from the bytes (raw-change-event.ts);
 * every document (documentKey, fullDocument, the pre-image, updatedFields,
 * lsid, the resume token…) is kept as the very sub-range of the server's bytes,
 * so nothing is decoded and encoded again: field order (digit-only names too)
 * and every type survive byte for byte. Pure: no I/O, no clock.
 */
import { RewindError } from '../../contracts/errors.js';
import type { ErrorCode } from '../../contracts/errors.js';
import { Buffer } from 'node:buffer';
import type { ChangeEvent, NamespaceRecord, OperationType, UpdateDescriptionRecord } from '../../contracts/avro/change-event.js';
import { OPERATION_TYPES } from '../../contracts/avro/change-event.js';
import { BsonFormatError, documentEnd, forEachElement, stringValue, utf8At, valueEnd } from '../../contracts/bson-elements.js';
import { INDEX_MAX } from '../../contracts/position.js';
import { BSON, RawChangeEvent, RawEventFormatError, int64At, integerAt, subFields } from './raw-change-event.js';
import type { EventField } from './raw-change-event.js';

export type FullDocumentMode = 'default' | 'updateLookup' | 'whenAvailable' | 'required';

export interface NormalizeContext {
  /** Order of this event among the events sharing its clusterTime (0 for a lone event). */
  index: number;
  /** The stream's fullDocument option: decides whether an update's fullDocument is a lookup. */
  fullDocumentMode: FullDocumentMode;
}

/** Normalization's codes (contracts/errors.ts's catalog: none is retryable, the same bytes fail the same way). */
export const NORMALIZE_CODES = [
  /** An operationType rewind does not capture (e.g. shardCollection, a newer server's event). */
  'UNKNOWN_OPERATION_TYPE',
  /** A field is missing or has the wrong type. */
  'MALFORMED_CHANGE_EVENT',
  /** Fragments of a $changeStreamSplitLargeEvent that are missing, duplicated or out of order. */
  'BAD_SPLIT_EVENT',
] as const satisfies readonly ErrorCode[];

export type NormalizeErrorCode = (typeof NORMALIZE_CODES)[number];

export class ChangeEventNormalizeError extends RewindError<NormalizeErrorCode> {
  /** The resume token's _data, or "(unknown)" when the event has none. */
  readonly eventId: string;
  readonly field: string;

  constructor(code: NormalizeErrorCode, eventId: string, field: string, reason: string, cause?: unknown) {
    super(code, `event ${eventId}: ${field} ${reason}`, { cause, context: { eventId, field } });
    this.name = 'ChangeEventNormalizeError';
    this.eventId = eventId;
    this.field = field;
  }
}

const OPS: ReadonlySet<string> = new Set(OPERATION_TYPES);

const TYPE_NAMES: Record<number, string> = {
  0x01: 'a double', 0x02: 'a string', 0x03: 'a document', 0x04: 'an array', 0x05: 'a binary', 0x07: 'an ObjectId', 0x08: 'a boolean',
  0x09: 'a date', 0x0a: 'null', 0x10: 'an int32', 0x11: 'a timestamp', 0x12: 'an int64', 0x13: 'a decimal',
};

function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `BSON type 0x${type.toString(16)}`;
}

/** Reads one event's fields, wording every refusal with the event's id and the field. */
class Reader {
  constructor(
    readonly ev: RawChangeEvent,
    readonly id: string,
  ) {}

  fail(field: string, reason: string, cause?: unknown): never {
    throw new ChangeEventNormalizeError('MALFORMED_CHANGE_EVENT', this.id, field, reason, cause);
  }

  /** A document field as the server's bytes; null when absent or null. */
  bytes(field: EventField): Buffer | null {
    const type = this.ev.type(field);
    if (type === 0 || type === BSON.null) return null;
    if (type !== BSON.document) this.fail(field, `is ${typeName(type)}, not a document`);
    return this.ev.value(field);
  }

  namespace(field: 'ns' | 'to', collRequired: boolean): NamespaceRecord {
    let ns: { db: string | undefined; coll: string | undefined } | undefined;
    try {
      ns = this.ev.namespace(field);
    } catch (cause) {
      return this.fail(field, 'is not well-formed BSON', cause);
    }
    if (!ns || ns.db === undefined) return this.fail(field, 'must be a document with a string db');
    if (ns.coll === undefined && this.hasField(field, 'coll')) this.fail(`${field}.coll`, 'is not a string');
    if (collRequired && ns.coll === undefined) this.fail(`${field}.coll`, 'is missing');
    return { db: ns.db, coll: ns.coll ?? null };
  }

  /** Whether the sub-document `field` has an element `name` (of any type). */
  hasField(field: EventField, name: string): boolean {
    return this.sub(field).has(name);
  }

  sub(field: EventField): Map<string, [number, number]> {
    try {
      return this.ev.subFields(field) ?? this.fail(field, 'is not a document');
    } catch (cause) {
      if (cause instanceof ChangeEventNormalizeError) throw cause;
      return this.fail(field, 'is not well-formed BSON', cause);
    }
  }
}

const COLLECTION_OPS: ReadonlySet<string> = new Set(['insert', 'update', 'replace', 'delete', 'drop', 'rename', 'create', 'createIndexes', 'dropIndexes', 'modify']);

/** Locates the fields of an event's bytes; a document that is not well-formed BSON is refused as malformed. */
export function readRawChangeEvent(bytes: Uint8Array): RawChangeEvent {
  try {
    return RawChangeEvent.read(bytes);
  } catch (cause) {
    if (cause instanceof RawEventFormatError) throw new ChangeEventNormalizeError('MALFORMED_CHANGE_EVENT', '(unknown)', '(event)', cause.message, cause);
    throw cause;
  }
}

/** One change event's bytes (or its fields, already located) → the normalized event. */
export function normalizeChangeEvent(raw: Uint8Array | RawChangeEvent, ctx: NormalizeContext): ChangeEvent {
  const ev = raw instanceof RawChangeEvent ? raw : readRawChangeEvent(raw);
  let tokenId: string | undefined;
  try {
    tokenId = ev.tokenData();
  } catch {
    tokenId = undefined;
  }
  const id = tokenId ?? '(unknown)';
  const r: Reader = new Reader(ev, id);
  if (tokenId === undefined) r.fail('_id._data', 'is missing (the resume token is the event id)');
  if (ev.type('splitEvent') !== 0) r.fail('splitEvent', 'is a fragment: reassemble the fragments with reassembleSplitEvent first');

  const op = ev.string('operationType');
  if (op === undefined) r.fail('operationType', ev.type('operationType') === 0 ? 'is missing' : 'is not a string');
  if (!OPS.has(op)) {
    throw new ChangeEventNormalizeError('UNKNOWN_OPERATION_TYPE', id, 'operationType', `${JSON.stringify(op)} is not one of ${OPERATION_TYPES.join(', ')}`);
  }
  if (!Number.isInteger(ctx.index) || ctx.index < 0 || ctx.index > INDEX_MAX) r.fail('index', `${ctx.index} is not a valid index`);

  const ct = ev.timestamp('clusterTime');
  if (!ct) r.fail('clusterTime', ev.type('clusterTime') === 0 ? 'is missing' : `is ${typeName(ev.type('clusterTime'))}, not a timestamp`);
  let wallTimeMs: number | null = null;
  const wallType = ev.type('wallTime');
  if (wallType !== 0 && wallType !== BSON.null) {
    if (wallType !== BSON.date) r.fail('wallTime', `is ${typeName(wallType)}, not a date`);
    wallTimeMs = int64At(ev.bytes, ev.valueStart('wallTime'));
  }

  // invalidate carries no ns (the stream's namespace is gone); it changes no state.
  const ns: NamespaceRecord = op === 'invalidate' && ev.type('ns') === 0 ? { db: '', coll: null } : r.namespace('ns', COLLECTION_OPS.has(op));
  const to = op === 'rename' ? r.namespace('to', true) : null;

  let collectionUUID: Buffer | null = null;
  const uuidType = ev.type('collectionUUID');
  if (uuidType !== 0 && uuidType !== BSON.null) {
    if (uuidType !== BSON.binary) r.fail('collectionUUID', `is ${typeName(uuidType)}, not a binary`);
    const at = ev.valueStart('collectionUUID');
    // int32 length, subtype byte, then the bytes (a view of the event's, as the documents are).
    collectionUUID = ev.bytes.subarray(at + 5, at + 5 + ev.bytes.readInt32LE(at));
  }

  const documentKey = r.bytes('documentKey');
  if ((op === 'insert' || op === 'update' || op === 'replace' || op === 'delete') && documentKey === null) r.fail('documentKey', 'is missing');
  const fullDocument = r.bytes('fullDocument');
  if ((op === 'insert' || op === 'replace') && fullDocument === null) r.fail('fullDocument', `is missing on a ${op} event`);

  let updateDescription: UpdateDescriptionRecord | null = null;
  const udType = ev.type('updateDescription');
  if (udType !== 0 && udType !== BSON.null) {
    updateDescription = readUpdateDescription(r);
  } else if (op === 'update' && fullDocument === null) {
    r.fail('updateDescription', 'is missing on an update without a post-image');
  }

  let txn: ChangeEvent['txn'] = null;
  if (ev.type('lsid') !== 0 || ev.type('txnNumber') !== 0) {
    const lsid = r.bytes('lsid');
    const txnNumber = integerAt(ev.bytes, ev.type('txnNumber'), ev.valueStart('txnNumber'));
    if (lsid === null) r.fail('lsid', 'is missing beside txnNumber');
    if (txnNumber === undefined) r.fail('txnNumber', 'is missing or not an integer beside lsid');
    txn = { lsid, txnNumber };
  }

  return {
    id,
    seconds: ct.seconds,
    increment: ct.increment,
    index: ctx.index,
    wallTimeMs,
    op: op as OperationType,
    ns,
    to,
    collectionUUID,
    documentKey,
    fullDocument,
    // updateLookup fetches the current document at lookup time: a hint, never the state at the event.
    fullDocumentIsLookup: op === 'update' && fullDocument !== null && ctx.fullDocumentMode === 'updateLookup',
    fullDocumentBeforeChange: r.bytes('fullDocumentBeforeChange'),
    updateDescription,
    operationDescription: r.bytes('operationDescription'),
    txn,
    resumeToken: r.bytes('_id') as Buffer,
  };
}

/** The four fields of an updateDescription, by their names' bytes. */
const UD_UPDATED = 0;
const UD_REMOVED = 1;
const UD_TRUNCATED = 2;
const UD_DISAMBIGUATED = 3;
const UD_NAMES = ['updatedFields', 'removedFields', 'truncatedArrays', 'disambiguatedPaths'].map((n) => Buffer.from(n, 'latin1'));

function udField(buf: Buffer, start: number, end: number): number {
  const n = end - start;
  for (let k = 0; k < UD_NAMES.length; k++) {
    const name = UD_NAMES[k] as Buffer;
    if (name.length !== n) continue;
    let i = 0;
    while (i < n && name[i] === buf[start + i]) i++;
    if (i === n) return k;
  }
  return -1;
}

function readUpdateDescription(r: Reader): UpdateDescriptionRecord {
  const ev = r.ev;
  const buf = ev.bytes;
  // Where each of the four fields is (type, valueStart; the last of a repeated name counts), in one pass
  // over the bytes with no map and no callback; the whole document is framed before any field is judged.
  let updatedType = 0, updatedAt = 0, removedType = 0, removedAt = 0, truncatedType = 0, truncatedAt = 0, disambiguatedType = 0, disambiguatedAt = 0;
  if (ev.type('updateDescription') !== BSON.document) r.fail('updateDescription', 'is not a document');
  try {
    const start = ev.valueStart('updateDescription');
    const end = documentEnd(buf, start) - 1;
    for (let at = start + 4; at < end; ) {
      const type = buf[at] as number;
      const nameStart = at + 1;
      let nameEnd = nameStart;
      while (nameEnd < end && buf[nameEnd] !== 0) nameEnd += 1;
      if (nameEnd >= end) throw new BsonFormatError(`unterminated field name at byte ${nameStart}`);
      const valueStart = nameEnd + 1;
      at = valueEnd(buf, type, valueStart, end);
      // Names are checked as UTF-8, as a decoder of the document would.
      for (let i = nameStart; i < nameEnd; i++) {
        if ((buf[i] as number) >= 0x80) {
          utf8At(buf, nameStart, nameEnd);
          break;
        }
      }
      switch (udField(buf, nameStart, nameEnd)) {
        case UD_UPDATED: updatedType = type; updatedAt = valueStart; break;
        case UD_REMOVED: removedType = type; removedAt = valueStart; break;
        case UD_TRUNCATED: truncatedType = type; truncatedAt = valueStart; break;
        case UD_DISAMBIGUATED: disambiguatedType = type; disambiguatedAt = valueStart; break;
        default: break;
      }
    }
  } catch (cause) {
    return r.fail('updateDescription', 'is not well-formed BSON', cause);
  }
  // No closures and no array for an empty list: most updates remove nothing and truncate nothing.
  // Checked in this order, as before: the first problem is the one reported.
  const updatedFields = udDocument(r, updatedType, updatedAt, 'updatedFields') ?? EMPTY_DOCUMENT;
  const removedFields = removedFieldsAt(r, removedType, removedAt);
  const truncatedArrays = truncatedArraysAt(r, truncatedType, truncatedAt);
  return { updatedFields, removedFields, truncatedArrays, disambiguatedPaths: udDocument(r, disambiguatedType, disambiguatedAt, 'disambiguatedPaths') };
}

/** A document of updateDescription (updatedFields, disambiguatedPaths) as the event's bytes; null when absent or null. */
function udDocument(r: Reader, type: number, at: number, name: string): Buffer | null {
  if (type === 0 || type === BSON.null) return null;
  if (type !== BSON.document) r.fail(`updateDescription.${name}`, `is ${typeName(type)}, not a document`);
  const buf = r.ev.bytes;
  return buf.subarray(at, at + buf.readInt32LE(at));
}

/** Whether an array of updateDescription has elements; refuses a value that is not an array. */
function udListHasElements(r: Reader, type: number, at: number, name: string): boolean {
  if (type === 0) return false;
  if (type !== BSON.array) r.fail(`updateDescription.${name}`, `is ${typeName(type)}, not an array`);
  // `[]` is five bytes.
  return r.ev.bytes.readInt32LE(at) !== 5;
}

function removedFieldsAt(r: Reader, type: number, at: number): string[] {
  const out: string[] = [];
  if (!udListHasElements(r, type, at, 'removedFields')) return out;
  const buf = r.ev.bytes;
  const elements: [number, number][] = [];
  forEachElement(buf, at, (t, _ns, _ne, valueStart) => elements.push([t, valueStart]));
  elements.forEach(([t, start], i) => {
    out.push(t === BSON.string ? stringValue(buf, start) : r.fail(`updateDescription.removedFields.${i}`, `is ${typeName(t)}, not a string`));
  });
  return out;
}

function truncatedArraysAt(r: Reader, type: number, at: number): UpdateDescriptionRecord['truncatedArrays'] {
  const out: UpdateDescriptionRecord['truncatedArrays'] = [];
  if (!udListHasElements(r, type, at, 'truncatedArrays')) return out;
  const buf = r.ev.bytes;
  const elements: [number, number][] = [];
  forEachElement(buf, at, (t, _ns, _ne, valueStart) => elements.push([t, valueStart]));
  elements.forEach(([t, start], i) => {
    const name = `updateDescription.truncatedArrays.${i}`;
    if (t !== BSON.document) return r.fail(name, 'needs a string field');
    const fields = subFields(buf, start);
    const f = fields.get('field');
    if (!f || f[0] !== BSON.string) return r.fail(name, 'needs a string field');
    const size = fields.get('newSize');
    const newSize = size ? integerAt(buf, size[0], size[1]) : undefined;
    if (newSize === undefined || newSize < 0 || newSize > 0x7fff_ffff) return r.fail(`${name}.newSize`, 'is not a non-negative integer');
    out.push({ field: stringValue(buf, f[1]), newSize });
  });
  return out;
}

/** `{}` in BSON: an update that sets nothing still has an updatedFields document. */
const EMPTY_DOCUMENT = Buffer.from([5, 0, 0, 0, 0]);

/**
 * Reassembles the fragments of one $changeStreamSplitLargeEvent event. Each
 * fragment carries `splitEvent: { fragment, of }` and a share of the top-level
 * fields; their elements, in order 1..of, are the original event's. The
 * merged event's _id is the last fragment's resume token: resuming after it
 * resumes after the whole event. Built from the fragments' element bytes,
 * copied as they are.
 */
export function reassembleSplitEvent(fragments: readonly RawChangeEvent[]): RawChangeEvent {
  const first = fragments[0];
  let id = '(unknown)';
  try {
    id = first?.tokenData() ?? id;
  } catch {
    // the id stays unknown; the fragment checks below word the problem
  }
  const fail: (field: string, reason: string) => never = (field, reason) => {
    throw new ChangeEventNormalizeError('BAD_SPLIT_EVENT', id, field, reason);
  };
  if (first === undefined) return fail('splitEvent', 'no fragments given');
  const split = (frag: RawChangeEvent) => frag.splitEvent() ?? { fragment: undefined, of: undefined };
  const of = split(first).of;
  if (of === undefined || of < 1) return fail('splitEvent.of', 'is missing or not a positive integer');
  if (fragments.length !== of) return fail('splitEvent', `expected ${of} fragments, got ${fragments.length}`);
  const merged = new Map<string, Buffer>();
  fragments.forEach((frag, i) => {
    const { fragment: n, of: fragOf } = split(frag);
    if (n === undefined) fail(`fragment ${i + 1} splitEvent.fragment`, 'is missing');
    if (fragOf !== of) fail(`fragment ${n} splitEvent.of`, `is ${fragOf} where the first fragment says ${of}`);
    if (n !== i + 1) fail(`fragment ${n} splitEvent.fragment`, n < i + 1 ? 'is duplicated or out of order' : `arrived where fragment ${i + 1} was expected (missing or out of order)`);
    forEachElement(frag.bytes, 0, (_type, nameStart, nameEnd, _valueStart, valueEnd) => {
      const name = utf8At(frag.bytes, nameStart, nameEnd);
      if (name === 'splitEvent' || name === '_id') return;
      const element = frag.bytes.subarray(nameStart - 1, valueEnd);
      const seen = merged.get(name);
      if (seen !== undefined && !seen.equals(element)) fail(name, 'appears in two fragments with different values');
      if (seen === undefined) merged.set(name, element);
    });
  });
  const last = fragments[fragments.length - 1] as RawChangeEvent;
  if (last.type('_id') !== BSON.document) return fail('_id', 'the last fragment has no resume token');
  const parts = [last.element('_id'), ...merged.values()];
  const size = 4 + parts.reduce((n, p) => n + p.length, 0) + 1;
  const out = Buffer.allocUnsafe(size);
  out.writeInt32LE(size, 0);
  let at = 4;
  for (const p of parts) at += p.copy(out, at);
  out[at] = 0;
  return RawChangeEvent.read(out);
}

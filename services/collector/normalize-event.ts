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
import { forEachElement, stringValue, utf8At } from '../../contracts/bson-elements.js';
import { INDEX_MAX } from '../../contracts/position.js';
import { BSON, RawChangeEvent, RawEventFormatError, integerAt, subFields } from './raw-change-event.js';
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
    wallTimeMs = Number(ev.bytes.readBigInt64LE(ev.valueStart('wallTime')));
  }

  // invalidate carries no ns (the stream's namespace is gone); it changes no state.
  const ns: NamespaceRecord = op === 'invalidate' && ev.type('ns') === 0 ? { db: '', coll: null } : r.namespace('ns', COLLECTION_OPS.has(op));
  const to = op === 'rename' ? r.namespace('to', true) : null;

  let collectionUUID: Buffer | null = null;
  const uuidType = ev.type('collectionUUID');
  if (uuidType !== 0 && uuidType !== BSON.null) {
    if (uuidType !== BSON.binary) r.fail('collectionUUID', `is ${typeName(uuidType)}, not a binary`);
    const at = ev.valueStart('collectionUUID');
    // int32 length, subtype byte, then the bytes.
    collectionUUID = Buffer.from(ev.bytes.subarray(at + 5, at + 5 + ev.bytes.readInt32LE(at)));
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

function readUpdateDescription(r: Reader): UpdateDescriptionRecord {
  const ev = r.ev;
  const buf = ev.bytes;
  const fields = r.sub('updateDescription');
  const field = (name: string) => `updateDescription.${name}`;
  const docAt = (name: string): Buffer | null => {
    const f = fields.get(name);
    if (!f || f[0] === BSON.null) return null;
    if (f[0] !== BSON.document) r.fail(field(name), `is ${typeName(f[0])}, not a document`);
    return buf.subarray(f[1], f[1] + buf.readInt32LE(f[1]));
  };
  const elementsOf = (name: string): [number, number][] => {
    const f = fields.get(name);
    if (!f) return [];
    if (f[0] !== BSON.array) r.fail(field(name), `is ${typeName(f[0])}, not an array`);
    const out: [number, number][] = [];
    forEachElement(buf, f[1], (type, _ns, _ne, valueStart) => out.push([type, valueStart]));
    return out;
  };
  const updatedFields = docAt('updatedFields') ?? EMPTY_DOCUMENT;
  const removedFields = elementsOf('removedFields').map(([type, at], i) =>
    type === BSON.string ? stringValue(buf, at) : r.fail(`${field('removedFields')}.${i}`, `is ${typeName(type)}, not a string`),
  );
  const truncatedArrays = elementsOf('truncatedArrays').map(([type, at], i) => {
    const name = `${field('truncatedArrays')}.${i}`;
    if (type !== BSON.document) return r.fail(name, 'needs a string field');
    const t = subFields(buf, at);
    const f = t.get('field');
    if (!f || f[0] !== BSON.string) return r.fail(name, 'needs a string field');
    const size = t.get('newSize');
    const newSize = size ? integerAt(buf, size[0], size[1]) : undefined;
    if (newSize === undefined || newSize < 0 || newSize > 0x7fff_ffff) return r.fail(`${name}.newSize`, 'is not a non-negative integer');
    return { field: stringValue(buf, f[1]), newSize };
  });
  return { updatedFields, removedFields, truncatedArrays, disambiguatedPaths: docAt('disambiguatedPaths') };
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

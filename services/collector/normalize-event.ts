/**
 * Raw change stream document → the ChangeEvent contract (contracts/avro/change-event.ts).
 *
 * Input: what the driver hands over when configured with `promoteValues: false,
 * promoteLongs: false, promoteBuffers: false, bsonRegExp: true`, so numbers are
 * still Int32 / Double / Long objects. Every document-valued field is written
 * back to BSON bytes with bson's serializer, which keeps field order and those
 * types, so the bytes are the server's bytes. Pure: no I/O, no clock.
 */
import { Binary, Long, Timestamp, serialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import type { ChangeEvent, NamespaceRecord, OperationType, UpdateDescriptionRecord } from '../../contracts/avro/change-event.js';
import { OPERATION_TYPES } from '../../contracts/avro/change-event.js';
import { INDEX_MAX } from '../../contracts/position.js';
import { ChangeEventFields } from './change-event-fields.js';

export type FullDocumentMode = 'default' | 'updateLookup' | 'whenAvailable' | 'required';

export interface NormalizeContext {
  /** Order of this event among the events sharing its clusterTime (0 for a lone event). */
  index: number;
  /** The stream's fullDocument option: decides whether an update's fullDocument is a lookup. */
  fullDocumentMode: FullDocumentMode;
}

export const NORMALIZE_ERRORS = {
  /** An operationType rewind does not capture (e.g. shardCollection, a newer server's event). */
  UNKNOWN_OPERATION_TYPE: { retryable: false },
  /** A field is missing or has the wrong type. */
  MALFORMED_CHANGE_EVENT: { retryable: false },
  /** Fragments of a $changeStreamSplitLargeEvent that are missing, duplicated or out of order. */
  BAD_SPLIT_EVENT: { retryable: false },
} as const;

export type NormalizeErrorCode = keyof typeof NORMALIZE_ERRORS;

export class ChangeEventNormalizeError extends Error {
  readonly code: NormalizeErrorCode;
  readonly retryable: boolean;
  /** The resume token's _data, or "(unknown)" when the event has none. */
  readonly eventId: string;
  readonly field: string;

  constructor(code: NormalizeErrorCode, eventId: string, field: string, reason: string, cause?: unknown) {
    super(`${code}: event ${eventId}: ${field} ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'ChangeEventNormalizeError';
    this.code = code;
    this.retryable = NORMALIZE_ERRORS[code].retryable;
    this.eventId = eventId;
    this.field = field;
  }
}

const OPS: ReadonlySet<string> = new Set(OPERATION_TYPES);

function isPlainDocument(v: unknown): v is Document {
  if (typeof v !== 'object' || v === null) return false;
  // Nearly every document is an object literal: answered from its prototype, without reading a field it does
  // not have (slow where documents of many shapes pass). One that carries its own `_bsontype` is refused by
  // bson's serializer instead.
  if (Object.getPrototypeOf(v) === Object.prototype) return true;
  return !Array.isArray(v) && (v as { _bsontype?: unknown })._bsontype === undefined;
}

/** The resume token's _data, given the event's _id. */
function tokenIdOfId(id: unknown): string {
  if (isPlainDocument(id) && typeof id._data === 'string') return id._data;
  return '(unknown)';
}

function tokenIdOf(raw: unknown): string {
  return isPlainDocument(raw) ? tokenIdOfId(raw._id) : '(unknown)';
}

/** Numbers arrive as Int32 / Double / Long objects or plain numbers; all are read the same way. */
function integerOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (v instanceof Long) return v.toNumber();
  if (typeof v === 'object' && v !== null && '_bsontype' in v) {
    const t = (v as { _bsontype: string })._bsontype;
    if (t === 'Int32' || t === 'Double') {
      const n = (v as unknown as { value: number }).value;
      return Number.isInteger(n) ? n : undefined;
    }
  }
  return undefined;
}

class Reader {
  constructor(
    readonly raw: Document,
    readonly id: string,
  ) {}

  fail(field: string, reason: string, cause?: unknown): never {
    throw new ChangeEventNormalizeError('MALFORMED_CHANGE_EVENT', this.id, field, reason, cause);
  }

  bytes(field: string, v: unknown): Buffer | null {
    if (v === undefined || v === null) return null;
    if (!isPlainDocument(v)) this.fail(field, 'is not a document');
    try {
      // bson hands back a fresh Buffer on Node (a plain Uint8Array elsewhere): view it, do not copy it.
      const bytes = serialize(v);
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (cause) {
      return this.fail(field, 'cannot be serialized to BSON', cause);
    }
  }

  namespace(field: string, v: unknown, collRequired: boolean): NamespaceRecord {
    if (!isPlainDocument(v) || typeof v.db !== 'string') return this.fail(field, 'must be a document with a string db');
    if (v.coll !== undefined && typeof v.coll !== 'string') this.fail(`${field}.coll`, 'is not a string');
    if (collRequired && typeof v.coll !== 'string') this.fail(`${field}.coll`, 'is missing');
    return { db: v.db, coll: typeof v.coll === 'string' ? v.coll : null };
  }
}

const BSON_STRING = 0x02;
const DATA_KEY = Buffer.from('_data\0', 'latin1');

/**
 * A resume token as bson would serialize it, when it is the server's shape `{ _data: <string> }` (every
 * event has one; null otherwise): one string element, written here. A serialize call costs a Set, frames,
 * a key array and two Buffers besides the bytes, about as much as the event's other documents.
 */
function tokenBytes(id: Document): Buffer | null {
  let data: unknown;
  for (const key in id) {
    if (key !== '_data') return null;
    data = id[key];
  }
  if (typeof data !== 'string') return null;
  const length = Buffer.byteLength(data, 'utf8');
  // int32 size, type, "_data\0", int32 string size (with its zero), the string, its zero, the document's zero.
  const out = Buffer.allocUnsafe(4 + 1 + DATA_KEY.length + 4 + length + 1 + 1);
  out.writeInt32LE(out.length, 0);
  out[4] = BSON_STRING;
  DATA_KEY.copy(out, 5);
  let at = 5 + DATA_KEY.length;
  out.writeInt32LE(length + 1, at);
  at += 4;
  out.write(data, at, length, 'utf8');
  out[at + length] = 0;
  out[at + length + 1] = 0;
  return out;
}

const COLLECTION_OPS: ReadonlySet<string> = new Set(['insert', 'update', 'replace', 'delete', 'drop', 'rename', 'create', 'createIndexes', 'dropIndexes', 'modify']);

export function normalizeChangeEvent(raw: unknown, ctx: NormalizeContext): ChangeEvent {
  return normalizeChangeEventFields(new ChangeEventFields(raw), ctx);
}

/** normalizeChangeEvent over fields already gathered (the collector reads some of them first). */
export function normalizeChangeEventFields(fields: ChangeEventFields, ctx: NormalizeContext): ChangeEvent {
  const raw = fields.raw;
  if (!isPlainDocument(raw)) throw new ChangeEventNormalizeError('MALFORMED_CHANGE_EVENT', '(unknown)', '(event)', 'is not a document');
  const id = tokenIdOfId(fields._id);
  const r: Reader = new Reader(raw, id);
  if (id === '(unknown)') r.fail('_id._data', 'is missing (the resume token is the event id)');
  if (fields.splitEvent !== undefined) r.fail('splitEvent', 'is a fragment: reassemble the fragments with reassembleSplitEvent first');

  const op: unknown = fields.operationType;
  if (typeof op !== 'string') r.fail('operationType', 'is missing');
  if (!OPS.has(op)) {
    throw new ChangeEventNormalizeError('UNKNOWN_OPERATION_TYPE', id, 'operationType', `${JSON.stringify(op)} is not one of ${OPERATION_TYPES.join(', ')}`);
  }
  if (!Number.isInteger(ctx.index) || ctx.index < 0 || ctx.index > INDEX_MAX) r.fail('index', `${ctx.index} is not a valid index`);

  const ct: unknown = fields.clusterTime;
  if (!(ct instanceof Timestamp)) r.fail('clusterTime', 'is not a Timestamp');
  let wallTimeMs: number | null = null;
  const wallTime: unknown = fields.wallTime;
  if (wallTime !== undefined && wallTime !== null) {
    if (!(wallTime instanceof Date) || Number.isNaN(wallTime.getTime())) r.fail('wallTime', 'is not a date');
    wallTimeMs = wallTime.getTime();
  }

  // invalidate carries no ns (the stream's namespace is gone); it changes no state.
  const ns: NamespaceRecord =
    op === 'invalidate' && fields.ns === undefined ? { db: '', coll: null } : r.namespace('ns', fields.ns, COLLECTION_OPS.has(op));
  const to = op === 'rename' ? r.namespace('to', fields.to, true) : null;

  let collectionUUID: Buffer | null = null;
  const uuid: unknown = fields.collectionUUID;
  if (uuid !== undefined && uuid !== null) {
    if (!(uuid instanceof Binary)) r.fail('collectionUUID', 'is not a Binary');
    collectionUUID = Buffer.from(uuid.buffer);
  }

  const documentKey = r.bytes('documentKey', fields.documentKey);
  if ((op === 'insert' || op === 'update' || op === 'replace' || op === 'delete') && documentKey === null) r.fail('documentKey', 'is missing');
  const fullDocument = r.bytes('fullDocument', fields.fullDocument);
  if ((op === 'insert' || op === 'replace') && fullDocument === null) r.fail('fullDocument', `is missing on a ${op} event`);

  let updateDescription: UpdateDescriptionRecord | null = null;
  if (fields.updateDescription !== undefined && fields.updateDescription !== null) {
    updateDescription = readUpdateDescription(r, fields.updateDescription);
  } else if (op === 'update' && fullDocument === null) {
    r.fail('updateDescription', 'is missing on an update without a post-image');
  }

  let txn: ChangeEvent['txn'] = null;
  if (fields.lsid !== undefined || fields.txnNumber !== undefined) {
    const lsid = r.bytes('lsid', fields.lsid);
    const txnNumber = integerOf(fields.txnNumber);
    if (lsid === null) r.fail('lsid', 'is missing beside txnNumber');
    if (txnNumber === undefined) r.fail('txnNumber', 'is missing or not an integer beside lsid');
    txn = { lsid, txnNumber };
  }

  return {
    id,
    seconds: ct.high >>> 0,
    increment: ct.low >>> 0,
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
    fullDocumentBeforeChange: r.bytes('fullDocumentBeforeChange', fields.fullDocumentBeforeChange),
    updateDescription,
    operationDescription: r.bytes('operationDescription', fields.operationDescription),
    txn,
    resumeToken: (tokenBytes(fields._id as Document) ?? r.bytes('_id', fields._id)) as Buffer,
  };
}

function readUpdateDescription(r: Reader, ud: unknown): UpdateDescriptionRecord {
  if (!isPlainDocument(ud)) r.fail('updateDescription', 'is not a document');
  const updatedFields = r.bytes('updateDescription.updatedFields', ud.updatedFields ?? {});
  const removed: unknown = ud.removedFields ?? [];
  if (!Array.isArray(removed) || removed.some((f) => typeof f !== 'string')) r.fail('updateDescription.removedFields', 'is not an array of strings');
  const truncated: unknown = ud.truncatedArrays ?? [];
  if (!Array.isArray(truncated)) r.fail('updateDescription.truncatedArrays', 'is not an array');
  const truncatedArrays = (truncated as unknown[]).map((t, i) => {
    const field = `updateDescription.truncatedArrays.${i}`;
    if (!isPlainDocument(t) || typeof t.field !== 'string') return r.fail(field, 'needs a string field');
    const newSize = integerOf(t.newSize);
    if (newSize === undefined || newSize < 0 || newSize > 0x7fff_ffff) return r.fail(`${field}.newSize`, 'is not a non-negative integer');
    return { field: t.field, newSize };
  });
  return {
    updatedFields: updatedFields as Buffer,
    removedFields: removed as string[],
    truncatedArrays,
    disambiguatedPaths: r.bytes('updateDescription.disambiguatedPaths', ud.disambiguatedPaths),
  };
}

/**
 * Reassembles the fragments of one $changeStreamSplitLargeEvent event. Each
 * fragment carries `splitEvent: { fragment, of }` and a share of the top-level
 * fields; merged in order 1..of they are the original event. The merged
 * event's _id is the last fragment's resume token: resuming after it resumes
 * after the whole event.
 */
export function reassembleSplitEvent(fragments: readonly Document[]): Document {
  const first = fragments[0];
  const id = tokenIdOf(first);
  const fail: (field: string, reason: string) => never = (field, reason) => {
    throw new ChangeEventNormalizeError('BAD_SPLIT_EVENT', id, field, reason);
  };
  if (first === undefined) return fail('splitEvent', 'no fragments given');
  const of = integerOf(isPlainDocument(first.splitEvent) ? first.splitEvent.of : undefined);
  if (of === undefined || of < 1) return fail('splitEvent.of', 'is missing or not a positive integer');
  if (fragments.length !== of) return fail('splitEvent', `expected ${of} fragments, got ${fragments.length}`);
  const merged: Document = {};
  fragments.forEach((frag, i) => {
    const split: unknown = frag.splitEvent;
    const n = integerOf(isPlainDocument(split) ? split.fragment : undefined);
    const fragOf = integerOf(isPlainDocument(split) ? split.of : undefined);
    if (n === undefined) fail(`fragment ${i + 1} splitEvent.fragment`, 'is missing');
    if (fragOf !== of) fail(`fragment ${n} splitEvent.of`, `is ${fragOf} where the first fragment says ${of}`);
    if (n !== i + 1) fail(`fragment ${n} splitEvent.fragment`, n < i + 1 ? 'is duplicated or out of order' : `arrived where fragment ${i + 1} was expected (missing or out of order)`);
    for (const [k, v] of Object.entries(frag) as [string, unknown][]) {
      if (k === 'splitEvent' || k === '_id') continue;
      if (k in merged && !sameBson(merged[k], v)) fail(k, `appears in two fragments with different values`);
      merged[k] = v;
    }
  });
  const last = fragments[fragments.length - 1] as Document;
  return { _id: last._id as unknown, ...merged };
}

function sameBson(a: unknown, b: unknown): boolean {
  return Buffer.from(serialize({ v: a })).equals(Buffer.from(serialize({ v: b })));
}

/**
 * How log records become Kafka messages. Change events are Avro
 * (contracts' changeEventType) so any Avro consumer can read the topic; the
 * other record kinds are small control records (JSON inside BSON, so copied
 * documents stay raw BSON bytes). A header names the kind of a control
 * record; a message without one is a change event: events are nearly every
 * message, and kafkajs builds a buffer per header on both sides.
 *
 * Keys: an event's key is its namespace plus its document key, so that even on
 * a topic with several partitions one document's events would stay ordered;
 * rewind itself uses one partition per source for a total order (see kafka-log.ts).
 */
import { Buffer } from 'node:buffer';
import { deserialize, serialize } from '../../contracts/bson.js';
import { changeEventType } from '../../contracts/index.js';
import type { ChangeEvent } from '../../contracts/index.js';
import { AvroSlabEncoder } from './avro-slab.js';
import { EncodedEventRecord } from './kafka-event-record.js';
import { LOG_RECORD_KINDS } from './log-record.js';
import type { LogRecord, LogRecordKind } from './log-record.js';

export const KIND_HEADER = 'rewind-kind';

export interface KafkaMessageShape {
  key: Buffer;
  value: Buffer;
  headers?: Record<string, Buffer>;
}

const KINDS: ReadonlySet<string> = new Set(LOG_RECORD_KINDS);

// The key's namespace part, kept for the last namespace seen: consecutive events mostly share one.
let lastNs: { db: string; coll: string | null; bytes: Buffer } | null = null;

/** The key's namespace part: `db.coll` (or `db`) as UTF-8. */
export function namespaceBytes(ns: ChangeEvent['ns']): Buffer {
  if (lastNs?.db !== ns.db || lastNs.coll !== ns.coll) {
    lastNs = { db: ns.db, coll: ns.coll, bytes: Buffer.from(ns.coll === null ? ns.db : `${ns.db}.${ns.coll}`, 'utf8') };
  }
  return lastNs.bytes;
}

export function eventKey(event: ChangeEvent): Buffer {
  const ns = namespaceBytes(event.ns);
  const dk = event.documentKey;
  if (!dk) return ns;
  // One allocation: namespace, a zero byte, the document key's BSON.
  const key = Buffer.allocUnsafe(ns.length + 1 + dk.length);
  ns.copy(key, 0);
  key[ns.length] = 0;
  key.set(dk, ns.length + 1);
  return key;
}

const eventValues = new AvroSlabEncoder(changeEventType);

export function encodeRecord(record: LogRecord): KafkaMessageShape {
  if (record.kind === 'event') {
    // An event that arrived encoded goes out with the same bytes.
    return { key: eventKey(record.event), value: record.encoded?.avro ?? eventValues.encode(record.event) };
  }
  const headers = { [KIND_HEADER]: Buffer.from(record.kind, 'utf8') };
  const documents = record.kind === 'copy-documents' ? record.documents : [];
  const meta = record.kind === 'copy-documents' ? { ...record, documents: undefined } : record;
  const value = Buffer.from(serialize({ r: JSON.stringify(meta), d: documents }));
  const key = Buffer.from(`rewind:${record.kind}`, 'utf8');
  return { key, value, headers };
}

type KafkaHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** The kind header's text, if the message has one. */
export function kindHeaderText(headers: KafkaHeaders | undefined): string | undefined {
  return headerText(headers?.[KIND_HEADER]);
}

function headerText(v: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : typeof one === 'string' ? one : one.toString('utf8');
}

/** Throws a plain Error with the reason; the transport wraps it with the message's coordinates. */
export function decodeRecord(message: {
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}): LogRecord {
  const kind = headerText(message.headers?.[KIND_HEADER]) ?? 'event';
  if (!KINDS.has(kind)) throw new Error(`unknown ${KIND_HEADER} header ${JSON.stringify(kind)}`);
  if (!message.value) throw new Error('empty value');
  // Events stay encoded: the archiver copies the bytes into a segment; `event` decodes on first read.
  if (kind === 'event') return new EncodedEventRecord(message.value);
  const doc = deserialize(message.value, { promoteBuffers: true }) as { r?: unknown; d?: unknown };
  if (typeof doc.r !== 'string') throw new Error('control record without body');
  const body = JSON.parse(doc.r) as LogRecord & { kind: LogRecordKind };
  if (body.kind !== kind) throw new Error(`header says ${kind}, body says ${String(body.kind)}`);
  if (body.kind === 'copy-documents') {
    const docs = Array.isArray(doc.d) ? doc.d : [];
    return { ...body, documents: docs.map((d) => Buffer.from(d as Uint8Array)) };
  }
  return body;
}

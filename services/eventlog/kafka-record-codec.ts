/**
 * How log records become Kafka messages. Change events are Avro
 * (contracts' changeEventType) so any Avro consumer can read the topic; the
 * other record kinds are small control records (JSON inside BSON, so copied
 * documents stay raw BSON bytes). A header names the kind.
 *
 * Keys: an event's key is its namespace plus its document key, so that even on
 * a topic with several partitions one document's events would stay ordered;
 * rewind itself uses one partition per source for a total order (see kafka-log.ts).
 */
import { Buffer } from 'node:buffer';
import { deserialize, serialize } from 'bson';
import { OPERATION_TYPES, changeEventType } from '../../contracts/index.js';
import type { ChangeEvent } from '../../contracts/index.js';
import { LOG_RECORD_KINDS } from './log-record.js';
import type { LogRecord, LogRecordKind } from './log-record.js';

export const KIND_HEADER = 'rewind-kind';

export interface KafkaMessageShape {
  key: Buffer;
  value: Buffer;
  headers: Record<string, Buffer>;
}

const KINDS: ReadonlySet<string> = new Set(LOG_RECORD_KINDS);
const OPS: ReadonlySet<string> = new Set(OPERATION_TYPES);

export function eventKey(event: ChangeEvent): Buffer {
  const ns = Buffer.from(event.ns.coll === null ? event.ns.db : `${event.ns.db}.${event.ns.coll}`, 'utf8');
  return event.documentKey ? Buffer.concat([ns, Buffer.from([0]), event.documentKey]) : ns;
}

export function encodeRecord(record: LogRecord): KafkaMessageShape {
  const headers = { [KIND_HEADER]: Buffer.from(record.kind, 'utf8') };
  if (record.kind === 'event') {
    return { key: eventKey(record.event), value: changeEventType.toBuffer(record.event), headers };
  }
  const documents = record.kind === 'copy-documents' ? record.documents : [];
  const meta = record.kind === 'copy-documents' ? { ...record, documents: undefined } : record;
  const value = Buffer.from(serialize({ r: JSON.stringify(meta), d: documents }));
  const key = Buffer.from(`rewind:${record.kind}`, 'utf8');
  return { key, value, headers };
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
  const kind = headerText(message.headers?.[KIND_HEADER]);
  if (kind === undefined || !KINDS.has(kind)) throw new Error(`missing or unknown ${KIND_HEADER} header ${JSON.stringify(kind)}`);
  if (!message.value) throw new Error('empty value');
  if (kind === 'event') {
    const event = changeEventType.fromBuffer(message.value) as ChangeEvent;
    if (!OPS.has(event.op)) throw new Error(`unknown operation ${JSON.stringify(event.op)}`);
    return { kind: 'event', event };
  }
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

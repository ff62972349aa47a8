/**
 * A change event read from Kafka without decoding it: only its leading fields
 * (position, id, operation, namespaces) are read, through an Avro resolver that
 * skips the rest; the skip still walks the whole record, so a truncated or
 * malformed value is refused here as a full decode would refuse it. The
 * archiver copies the bytes into a segment as they are (same schema), so the
 * documents inside are never turned into objects and back.
 */
import type { Buffer } from 'node:buffer';
import avro from 'avsc';
import { OPERATION_TYPES, changeEventSchema, changeEventType } from '../../contracts/index.js';
import type { ChangeEvent } from '../../contracts/index.js';
import type { EncodedEvent, EventHead } from './log-record.js';

const HEAD_FIELDS: ReadonlySet<string> = new Set(['id', 'seconds', 'increment', 'index', 'op', 'ns', 'to']);
const OPS: ReadonlySet<string> = new Set(OPERATION_TYPES);

// The same record name and field types, fewer fields: avsc resolves it against the full schema by skipping.
const headType = avro.Type.forSchema({ ...changeEventSchema, fields: changeEventSchema.fields.filter((f) => HEAD_FIELDS.has(f.name)) } as unknown as avro.Schema);
const headResolver = headType.createResolver(changeEventType);

/** Reads the head of one Avro-encoded event; throws a plain Error with the reason when the value is not one whole event. */
export function decodeEventHead(value: Buffer): EventHead {
  const decoded = headType.decode(value, 0, headResolver);
  const head = decoded.value as EventHead | undefined;
  const offset = decoded.offset;
  if (head === undefined || offset < 0) throw new Error('truncated Avro change event');
  if (offset !== value.length) throw new Error(`${value.length - offset} bytes after the Avro change event`);
  if (!OPS.has(head.op)) throw new Error(`unknown operation ${JSON.stringify(head.op)}`);
  return head;
}

/** The log record of an event delivered encoded: `event` is decoded on first read and kept. */
export class EncodedEventRecord {
  readonly kind = 'event' as const;
  readonly encoded: EncodedEvent;
  private decoded: ChangeEvent | null = null;

  constructor(avroBytes: Buffer) {
    this.encoded = { head: decodeEventHead(avroBytes), avro: avroBytes };
  }

  get event(): ChangeEvent {
    this.decoded ??= changeEventType.fromBuffer(this.encoded.avro) as ChangeEvent;
    return this.decoded;
  }
}

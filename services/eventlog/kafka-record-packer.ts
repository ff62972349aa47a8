/**
 * Log records straight into the buffer handed over to the producer thread
 * (kafka-producer-protocol.ts): an event's key (namespace, a zero byte, the
 * document key's BSON) and its Avro value are written in place. The same
 * bytes as packMessages(records.map(encodeRecord)), without what that built
 * per event: a key Buffer, a view of the value, a message object, and a
 * second copy of both into the packed buffer (together about as much CPU as
 * the Avro encoding itself). Control records, a few per publish, still go
 * through encodeRecord.
 */
import { Buffer } from 'node:buffer';
import { changeEventType } from '../../contracts/index.js';
import type { PackedMessages } from './kafka-producer-protocol.js';
import { encodeRecord, namespaceBytes } from './kafka-record-codec.js';
import { LOG_RECORD_KINDS } from './log-record.js';
import type { LogRecord } from './log-record.js';

/** A first guess at a record's packed size, then the average of the last publish (so a buffer rarely grows). */
let bytesPerRecord = 512;

class Packer {
  private buf: Buffer;
  private pos = 0;

  constructor(capacity: number) {
    // Its own ArrayBuffer (not Node's shared pool): it is transferred to the thread whole.
    this.buf = Buffer.from(new ArrayBuffer(capacity));
  }

  get used(): number {
    return this.pos;
  }

  /** Room for `bytes` more; grows to at least double, copying what is written. */
  reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.from(new ArrayBuffer(Math.max(this.buf.length * 2, this.pos + bytes)));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  zero(): void {
    this.reserve(1);
    this.buf[this.pos++] = 0;
  }

  /** Avro-encodes `value` here; returns its length. */
  avro(value: unknown): number {
    const start = this.pos;
    let end = changeEventType.encode(value, this.buf, start);
    if (end < 0) {
      // avsc says how many bytes were missing.
      this.reserve(this.buf.length - start - end);
      end = changeEventType.encode(value, this.buf, start);
    }
    this.pos = end;
    return end - start;
  }

  get data(): ArrayBuffer {
    return this.buf.buffer as ArrayBuffer;
  }
}

export function packRecords(records: readonly LogRecord[]): PackedMessages {
  const out = new Packer(Math.ceil(records.length * bytesPerRecord * 1.25) + 1024);
  const layout = new Int32Array(records.length * 3);
  records.forEach((record, i) => {
    if (record.kind === 'event') {
      const event = record.event;
      const ns = namespaceBytes(event.ns);
      const dk = event.documentKey;
      out.bytes(ns);
      if (dk) {
        out.zero();
        out.bytes(dk);
      }
      layout[i * 3] = -1;
      layout[i * 3 + 1] = ns.length + (dk ? 1 + dk.length : 0);
      // An event that arrived encoded goes out with the same bytes.
      const encoded = record.encoded;
      if (encoded) out.bytes(encoded.avro);
      layout[i * 3 + 2] = encoded ? encoded.avro.length : out.avro(event);
      return;
    }
    const m = encodeRecord(record);
    layout[i * 3] = LOG_RECORD_KINDS.indexOf(record.kind);
    layout[i * 3 + 1] = m.key.length;
    layout[i * 3 + 2] = m.value.length;
    out.bytes(m.key);
    out.bytes(m.value);
  });
  if (records.length > 0) bytesPerRecord = Math.max(64, Math.ceil(out.used / records.length));
  return { data: out.data, layout };
}

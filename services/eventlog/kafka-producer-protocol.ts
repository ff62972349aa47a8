/**
 * What the main thread and the producer thread say to each other. A publish
 * travels as one packed buffer (keys and values back to back, written by
 * kafka-record-packer.ts) plus a layout, both transferred, not copied:
 * structured cloning a thousand small Buffers would cost what moving the
 * producer off the main thread saves.
 */
import { Buffer } from 'node:buffer';
import type { KafkaClientSettings, KafkaLogLine } from './kafka-client.js';
import { KIND_HEADER } from './kafka-record-codec.js';
import type { KafkaMessageShape } from './kafka-record-codec.js';
import { LOG_RECORD_KINDS } from './log-record.js';

export interface ProducerThreadSettings extends KafkaClientSettings {
  topic: string;
  maxSendBytes: number;
}

export interface PackedMessages {
  /** Messages back to back from offset 0; the buffer may be longer than what the layout covers. */
  data: ArrayBuffer;
  /** Per message: kind index into LOG_RECORD_KINDS (-1: no header, an event), key length, value length. */
  layout: Int32Array;
}

export type ToProducer = { type: 'send'; id: number; packed: PackedMessages } | { type: 'reset' } | { type: 'close' };

export type FromProducer =
  | { type: 'ready' }
  | { type: 'sent'; id: number }
  | { type: 'failed'; id: number | null; message: string; name: string }
  | { type: 'log'; line: KafkaLogLine }
  | { type: 'closed' };

/** Views into the packed buffer, in order; headers rebuilt from the kind index. */
export function unpackMessages(packed: PackedMessages): KafkaMessageShape[] {
  const out: KafkaMessageShape[] = [];
  const all = Buffer.from(packed.data);
  let at = 0;
  for (let i = 0; i < packed.layout.length; i += 3) {
    const kind = packed.layout[i] ?? -1;
    const keyLength = packed.layout[i + 1] ?? 0;
    const valueLength = packed.layout[i + 2] ?? 0;
    const key = all.subarray(at, at + keyLength);
    const value = all.subarray(at + keyLength, at + keyLength + valueLength);
    at += keyLength + valueLength;
    const name = kind >= 0 ? LOG_RECORD_KINDS[kind] : undefined;
    out.push(name === undefined ? { key, value } : { key, value, headers: { [KIND_HEADER]: Buffer.from(name, 'utf8') } });
  }
  return out;
}

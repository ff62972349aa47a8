/**
 * What the main thread and the consumer thread say to each other. A fetched
 * batch travels as one packed buffer of values plus their lengths, both
 * transferred; the few control records name their kind beside it.
 */
import { Buffer } from 'node:buffer';
import type { KafkaClientSettings, KafkaLogLine } from './kafka-client.js';
import { KIND_HEADER, kindHeaderText } from './kafka-record-codec.js';

export interface ConsumerThreadSettings extends KafkaClientSettings {
  topic: string;
  groupId: string;
  sessionTimeoutMs: number;
  maxBytesPerPartition: number;
  maxPendingBytes: number;
}

export interface PackedBatch {
  data: ArrayBuffer;
  /** Value length per message; -1 for a message without a value. */
  lengths: Int32Array;
  /** Kind header text by message index, for the messages that carry one. */
  kinds: Record<number, string>;
  offsets: string[];
}

export type ToConsumer =
  | { type: 'taken'; bytes: number }
  | { type: 'commit'; id: number; topic: string; partition: number; offset: string }
  | { type: 'close' };

export type FromConsumer =
  | { type: 'ready' }
  | { type: 'batch'; topic: string; partition: number; next: string; bytes: number; packed: PackedBatch }
  | { type: 'committed'; id: number; error: string | null }
  | { type: 'failed'; message: string; name: string }
  | { type: 'log'; line: KafkaLogLine }
  | { type: 'closed' };

type FetchedMessage = { value: Buffer | null; offset: string; headers?: Parameters<typeof kindHeaderText>[0] };

export function packBatch(messages: readonly FetchedMessage[]): PackedBatch {
  let total = 0;
  for (const m of messages) total += m.value?.length ?? 0;
  const data = new ArrayBuffer(total);
  const bytes = new Uint8Array(data);
  const lengths = new Int32Array(messages.length);
  const kinds: Record<number, string> = {};
  const offsets: string[] = [];
  let at = 0;
  messages.forEach((m, i) => {
    offsets.push(m.offset);
    const kind = kindHeaderText(m.headers);
    if (kind !== undefined) kinds[i] = kind;
    if (!m.value) {
      lengths[i] = -1;
      return;
    }
    lengths[i] = m.value.length;
    bytes.set(m.value, at);
    at += m.value.length;
  });
  return { data, lengths, kinds, offsets };
}

export interface UnpackedMessage {
  value: Buffer | null;
  headers: Record<string, Buffer>;
  offset: string;
}

export function unpackBatch(packed: PackedBatch): UnpackedMessage[] {
  const all = Buffer.from(packed.data);
  const out: UnpackedMessage[] = [];
  let at = 0;
  for (let i = 0; i < packed.lengths.length; i++) {
    const length = packed.lengths[i] ?? -1;
    const value = length < 0 ? null : all.subarray(at, at + length);
    if (length > 0) at += length;
    const kind = packed.kinds[i];
    out.push({ value, headers: kind === undefined ? {} : { [KIND_HEADER]: Buffer.from(kind, 'utf8') }, offset: packed.offsets[i] ?? '?' });
  }
  return out;
}

/**
 * Test support: a getMore reply as a server would put it on the wire —
 * `{cursor: {id, ns, nextBatch: [events…], postBatchResumeToken}, ok: 1}` —
 * built from event bytes without decoding them, then taken apart the way the
 * live change source takes a reply apart: the driver's bson `deserialize`
 * with `raw: true` (what `db.command(…, {raw: true})` returns), then
 * readCursorReply. Recorded streams thus reach the collector through the
 * same reader as a real server's replies.
 */
import { Buffer } from 'node:buffer';
import { deserialize } from '../../../contracts/bson.js';
import { readCursorReply } from '../cursor-reply.js';
import type { CursorReply } from '../cursor-reply.js';

function element(type: number, name: string, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), Buffer.from(`${name}\0`, 'utf8'), value]);
}

function document(elements: Buffer[]): Buffer {
  const body = Buffer.concat(elements);
  const out = Buffer.allocUnsafe(4 + body.length + 1);
  out.writeInt32LE(out.length, 0);
  body.copy(out, 4);
  out[out.length - 1] = 0;
  return out;
}

/** The reply bytes of a getMore (or, with `first`, an aggregate) returning these events. */
export function cursorReplyBytes(events: readonly Uint8Array[], o: { id: bigint; ns: string; postBatchResumeToken: Uint8Array | null; first?: boolean }): Buffer {
  const id = Buffer.allocUnsafe(8);
  id.writeBigInt64LE(o.id);
  const ns = Buffer.from(o.ns, 'utf8');
  const nsValue = Buffer.concat([Buffer.from(Uint32Array.of(ns.length + 1).buffer), ns, Buffer.from([0])]);
  const batch = document(events.map((e, i) => element(0x03, String(i), Buffer.from(e.buffer, e.byteOffset, e.byteLength))));
  const cursor = document([
    element(0x12, 'id', id),
    element(0x02, 'ns', nsValue),
    element(0x04, o.first ? 'firstBatch' : 'nextBatch', batch),
    ...(o.postBatchResumeToken ? [element(0x03, 'postBatchResumeToken', Buffer.from(o.postBatchResumeToken))] : []),
  ]);
  const ok = Buffer.allocUnsafe(8);
  ok.writeDoubleLE(1);
  return document([element(0x03, 'cursor', cursor), element(0x01, 'ok', ok)]);
}

/** A reply's bytes read as the live source reads them (the driver's raw decode of the top level, then readCursorReply). */
export function readReplyAsDriverWould(reply: Buffer): CursorReply {
  const top = deserialize(reply, { raw: true }) as { cursor?: unknown };
  return readCursorReply(top.cursor);
}

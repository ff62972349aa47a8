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

/** The reply bytes of a getMore (or, with `first`, an aggregate) returning these events. */
export function cursorReplyBytes(events: readonly Uint8Array[], o: { id: bigint; ns: string; postBatchResumeToken: Uint8Array | null; first?: boolean }): Buffer {
  // Written in one buffer, as a server's reply arrives in one: a buffer per event and per element (three
  // concatenations each) were the benchmarks' recorded source's own cost, a few µs per event.
  const ns = Buffer.from(o.ns, 'utf8');
  const batchName = o.first ? 'firstBatch' : 'nextBatch';
  let batchBody = 0;
  for (let i = 0; i < events.length; i++) batchBody += 1 + String(i).length + 1 + (events[i] as Uint8Array).length;
  const batchSize = 4 + batchBody + 1;
  const pbrt = o.postBatchResumeToken;
  const cursorSize = 4 + (1 + 3 + 8) + (1 + 3 + 4 + ns.length + 1) + (1 + batchName.length + 1 + batchSize) + (pbrt ? 1 + 21 + pbrt.length : 0) + 1;
  const size = 4 + (1 + 7 + cursorSize) + (1 + 3 + 8) + 1;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const name = (type: number, n: string) => {
    out[at++] = type;
    at += out.write(n, at, 'latin1');
    out[at++] = 0;
  };
  out.writeInt32LE(size, at);
  at += 4;
  name(0x03, 'cursor');
  out.writeInt32LE(cursorSize, at);
  at += 4;
  name(0x12, 'id');
  out.writeBigInt64LE(o.id, at);
  at += 8;
  name(0x02, 'ns');
  out.writeInt32LE(ns.length + 1, at);
  at += 4;
  at += ns.copy(out, at);
  out[at++] = 0;
  name(0x04, batchName);
  out.writeInt32LE(batchSize, at);
  at += 4;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Uint8Array;
    name(0x03, String(i));
    out.set(e, at);
    at += e.length;
  }
  out[at++] = 0;
  if (pbrt) {
    name(0x03, 'postBatchResumeToken');
    out.set(pbrt, at);
    at += pbrt.length;
  }
  out[at++] = 0;
  name(0x01, 'ok');
  out.writeDoubleLE(1, at);
  at += 8;
  out[at++] = 0;
  if (at !== size) throw new Error(`cursorReplyBytes: wrote ${at} of ${size} bytes`);
  return out;
}

/** A reply's bytes read as the live source reads them (the driver's raw decode of the top level, then readCursorReply). */
export function readReplyAsDriverWould(reply: Buffer): CursorReply {
  const top = deserialize(reply, { raw: true }) as { cursor?: unknown };
  return readCursorReply(top.cursor);
}

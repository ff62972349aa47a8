/**
 * The `cursor` document of an aggregate or getMore reply, read from the
 * server's bytes: the cursor id, the batch's events as views of those bytes
 * (each one exactly as the server encoded it), and the post-batch resume token.
 *
 * The change source runs its commands with the driver's `raw: true`, which
 * decodes only the reply's top level and hands every sub-document over as a
 * Buffer of the server's bytes; this is the one reader of what is inside, for
 * the live stream and for the recorded one that tests and benchmarks play.
 */
import { Buffer } from 'node:buffer';
import { BsonFormatError, forEachElement, int32At, stringValue } from '../../contracts/bson-elements.js';
import { CollectorError } from './collector-errors.js';

export interface CursorReply {
  /** 0n when the server closed the cursor. */
  id: bigint;
  ns: string | null;
  /** The batch's change events, in stream order, as the server's bytes. */
  events: Buffer[];
  /** The batch's post-batch resume token document (bytes), when the server sent one. */
  postBatchResumeToken: Buffer | null;
}

function refuse(detail: string, cause?: unknown): never {
  throw new CollectorError('SOURCE_PROTOCOL', { detail }, cause === undefined ? undefined : { cause });
}

/** Reads the cursor document of a reply (`reply.cursor` of a raw command). */
export function readCursorReply(cursor: unknown): CursorReply {
  if (!(cursor instanceof Uint8Array)) return refuse(`the reply has no cursor document (got ${cursor === undefined ? 'nothing' : typeof cursor})`);
  const buf = Buffer.isBuffer(cursor) ? cursor : Buffer.from(cursor.buffer, cursor.byteOffset, cursor.byteLength);
  let id: bigint | undefined;
  let ns: string | null = null;
  let events: Buffer[] | undefined;
  let pbrt: Buffer | null = null;
  try {
    forEachElement(buf, 0, (type, nameStart, nameEnd, valueStart, valueEnd) => {
      const name = buf.toString('latin1', nameStart, nameEnd);
      if (name === 'id') {
        if (type === 0x12) id = buf.readBigInt64LE(valueStart);
        else if (type === 0x10) id = BigInt(buf.readInt32LE(valueStart));
        else refuse(`cursor.id is BSON type 0x${type.toString(16)}, not an integer`);
      } else if (name === 'ns' && type === 0x02) {
        ns = stringValue(buf, valueStart);
      } else if (name === 'firstBatch' || name === 'nextBatch') {
        if (type !== 0x04) refuse(`cursor.${name} is not an array`);
        const batch: Buffer[] = [];
        forEachElement(buf, valueStart, (t, _s, _e, docStart, docEnd) => {
          if (t !== 0x03) refuse(`cursor.${name} holds BSON type 0x${t.toString(16)}, not a document`);
          batch.push(buf.subarray(docStart, docEnd));
        });
        events = batch;
      } else if (name === 'postBatchResumeToken' && type === 0x03) {
        pbrt = buf.subarray(valueStart, valueStart + int32At(buf, valueStart));
      }
      void valueEnd;
    });
  } catch (cause) {
    if (cause instanceof CollectorError) throw cause;
    if (cause instanceof BsonFormatError) refuse(`the cursor reply is not well-formed BSON: ${cause.message}`, cause);
    throw cause;
  }
  if (id === undefined) refuse('the cursor reply has no id');
  if (events === undefined) refuse('the cursor reply has neither firstBatch nor nextBatch');
  return { id, ns, events, postBatchResumeToken: pbrt };
}

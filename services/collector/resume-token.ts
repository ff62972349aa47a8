/**
 * What rewind reads from a resume token: its cluster time. A token's `_data`
 * is a hex KeyString that starts with the event's clusterTime, encoded as the
 * Timestamp type byte 0x82 followed by the big-endian seconds and increment
 * (mongo src/mongo/db/pipeline/resume_token.cpp). A post-batch resume token
 * with no event behind it carries the cluster time the stream has reached.
 */
import { Buffer } from 'node:buffer';
import { EJSON, Timestamp, deserialize, serialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { EXACT_BSON } from '../../contracts/document-key.js';
import { stringField } from './raw-change-event.js';
import { INDEX_MAX, position } from '../../contracts/index.js';
import type { Position } from '../../contracts/index.js';

const TIMESTAMP_TYPE = '82';

/** The cluster time a token (its BSON bytes, or the token as a document) starts with. */
export function tokenClusterTime(token: Buffer | Document): Timestamp | null {
  const data: unknown = token instanceof Uint8Array ? tokenData(token) : token._data;
  if (typeof data !== 'string' || data.length < 18 || data.slice(0, 2).toLowerCase() !== TIMESTAMP_TYPE) return null;
  const seconds = Number.parseInt(data.slice(2, 10), 16);
  const increment = Number.parseInt(data.slice(10, 18), 16);
  if (!Number.isFinite(seconds) || !Number.isFinite(increment)) return null;
  return new Timestamp({ t: seconds, i: increment });
}

/** The last position strictly before a cluster time: complete "up to, not including" it. */
export function positionBefore(ts: Timestamp): Position {
  const seconds = ts.high >>> 0;
  const increment = ts.low >>> 0;
  if (increment > 0) return position(seconds, increment - 1, INDEX_MAX);
  if (seconds > 0) return position(seconds - 1, 0xffff_ffff, INDEX_MAX);
  return position(0, 0, 0);
}

/** A token's `_data` string, from its BSON bytes; undefined when it has none. */
export function tokenData(token: Buffer): string | undefined {
  try {
    return stringField(token, 0, '_data');
  } catch {
    return undefined;
  }
}

/**
 * A token's bytes as canonical Extended JSON, the form the catalog and the state file keep. A token is
 * `{_data: <hex>}` (older servers add `_typeBits`): no digit-only names, so the object form loses nothing.
 */
export function tokenToJson(token: Buffer): Record<string, unknown> {
  return EJSON.serialize(deserialize(token, EXACT_BSON), { relaxed: false });
}

/** The canonical Extended JSON a token was kept as → its BSON bytes. */
export function tokenFromJson(token: Record<string, unknown>): Buffer {
  return Buffer.from(serialize(EJSON.deserialize(token, { relaxed: false }) as Document));
}

/**
 * Whether reconnecting to the source can help. Network, server-selection and
 * resumable change-stream errors pass with time; so may a server error we do
 * not know. Credentials and privileges do not fix themselves: retrying them
 * forever would hide a misconfiguration behind a "reconnecting" status, so
 * those stop the collector with the server's own message.
 */
import { CollectorError } from './collector-errors.js';
import { ChangeEventNormalizeError } from './normalize-event.js';

/** Server error codes that no retry can cure (MongoDB's error_codes.yml names). */
const PERMANENT_SERVER_CODES = new Set([
  11, // UserNotFound
  13, // Unauthorized
  18, // AuthenticationFailed
  8000, // AtlasError: bad auth
]);

export function isRetryableSourceError(err: unknown): boolean {
  if (err instanceof CollectorError || err instanceof ChangeEventNormalizeError) return err.retryable;
  const e = err as { retryable?: unknown; name?: unknown; code?: unknown; hasErrorLabel?: (l: string) => boolean } | null;
  if (typeof e?.code === 'number' && PERMANENT_SERVER_CODES.has(e.code)) return false;
  if (typeof e?.retryable === 'boolean') return e.retryable;
  const name = typeof e?.name === 'string' ? e.name : '';
  if (/Mongo(Network|ServerSelection|NetworkTimeout|Topology|PoolCleared)/.test(name)) return true;
  if (e?.hasErrorLabel?.('ResumableChangeStreamError') || e?.hasErrorLabel?.('RetryableWriteError')) return true;
  return name === 'MongoServerError' || name === 'MongoError';
}

/** Comparing log cursors, to commit the lesser of "handled" and "copy floor". */
import type { LogCursor } from '../eventlog/event-log.js';

export function minCursor(a: LogCursor, b: LogCursor | null): LogCursor {
  if (!b) return a;
  if (a.transport === 'kafka' && b.transport === 'kafka') return BigInt(a.offset) <= BigInt(b.offset) ? a : b;
  if (a.transport === 'embedded' && b.transport === 'embedded') return a.sequence <= b.sequence ? a : b;
  throw new TypeError('cursors of two transports cannot be compared');
}

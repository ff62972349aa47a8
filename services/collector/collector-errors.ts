/**
 * Errors of the collector: its codes (in contracts/errors.ts's catalog, which
 * says whether a retry helps: an unreachable source may come back; a lost
 * resume point or a malformed event will not be fixed by retrying), their
 * typed contexts, and the message each code words from its context.
 */
import { RewindError } from '../../contracts/errors.js';

export interface CollectorErrorContexts {
  SOURCE_UNREACHABLE: { detail: string };
  SOURCE_TOO_OLD: { version: string };
  SOURCE_NOT_REPLICA_SET: { detail: string };
  RESUME_POINT_LOST: { resumeFrom: string; detail: string };
  STATE_FILE_INVALID: { path: string; detail: string };
  EVENT_REJECTED: { eventId: string; detail: string };
  SOURCE_PROTOCOL: { detail: string };
  SOURCE_NO_CHANGE_STREAMS: { detail: string };
  COLLECTOR_STOPPED: Record<string, never>;
}

export type CollectorErrorCode = keyof CollectorErrorContexts;

const MESSAGES: { [C in CollectorErrorCode]: (c: CollectorErrorContexts[C]) => string } = {
  SOURCE_UNREACHABLE: (c) => `the source MongoDB cannot be reached: ${c.detail}`,
  SOURCE_TOO_OLD: (c) => `the source runs MongoDB ${c.version}; rewind needs 6.0 or newer (showExpandedEvents, pre/post images)`,
  SOURCE_NOT_REPLICA_SET: (c) => `the source is a standalone server (${c.detail}); change streams need a replica set or a sharded cluster — a one-node replica set will do`,
  RESUME_POINT_LOST: (c) => `the change stream cannot resume from ${c.resumeFrom}: the oplog no longer holds it (${c.detail})`,
  STATE_FILE_INVALID: (c) => `${c.path}: invalid collector state: ${c.detail}`,
  EVENT_REJECTED: (c) => `change event ${c.eventId} cannot be captured: ${c.detail}`,
  SOURCE_PROTOCOL: (c) => `the source answered the change stream with something else than a cursor of change events: ${c.detail}`,
  SOURCE_NO_CHANGE_STREAMS: (c) =>
    `the source refuses a change stream over the whole deployment (${c.detail}); rewind needs a MongoDB 6.0+ replica set or sharded cluster`,
  COLLECTOR_STOPPED: () => 'the collector is stopped',
};

/** The collector's codes, for the tests and the reference that walk every code. */
export const COLLECTOR_CODES = Object.keys(MESSAGES) as CollectorErrorCode[];

export class CollectorError<C extends CollectorErrorCode = CollectorErrorCode> extends RewindError<C, CollectorErrorContexts[C]> {
  constructor(code: C, context: CollectorErrorContexts[C], options?: { cause?: unknown }) {
    const message = (MESSAGES[code] as (c: CollectorErrorContexts[C]) => string)(context);
    const causeText = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(code, `${message}${causeText}`, { context, cause: options?.cause });
    this.name = 'CollectorError';
  }
}

/**
 * Errors of the collector, with stable codes and whether a retry helps: an
 * unreachable source may come back; a lost resume point or a malformed event
 * will not be fixed by retrying.
 */
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

const SPECS: { [C in CollectorErrorCode]: { retryable: boolean; message: (c: CollectorErrorContexts[C]) => string } } = {
  SOURCE_UNREACHABLE: { retryable: true, message: (c) => `the source MongoDB cannot be reached: ${c.detail}` },
  SOURCE_TOO_OLD: {
    retryable: false,
    message: (c) => `the source runs MongoDB ${c.version}; rewind needs 6.0 or newer (showExpandedEvents, pre/post images)`,
  },
  SOURCE_NOT_REPLICA_SET: {
    retryable: false,
    message: (c) => `the source is a standalone server (${c.detail}); change streams need a replica set or a sharded cluster — a one-node replica set will do`,
  },
  RESUME_POINT_LOST: {
    retryable: false,
    message: (c) => `the change stream cannot resume from ${c.resumeFrom}: the oplog no longer holds it (${c.detail})`,
  },
  STATE_FILE_INVALID: { retryable: false, message: (c) => `${c.path}: invalid collector state: ${c.detail}` },
  EVENT_REJECTED: { retryable: false, message: (c) => `change event ${c.eventId} cannot be captured: ${c.detail}` },
  SOURCE_PROTOCOL: {
    retryable: false,
    message: (c) => `the source answered the change stream with something else than a cursor of change events: ${c.detail}`,
  },
  SOURCE_NO_CHANGE_STREAMS: {
    retryable: false,
    message: (c) =>
      `the source refuses a change stream over the whole deployment (${c.detail}); rewind needs a MongoDB 6.0+ replica set or sharded cluster`,
  },
  COLLECTOR_STOPPED: { retryable: false, message: () => 'the collector is stopped' },
};

export class CollectorError<C extends CollectorErrorCode = CollectorErrorCode> extends Error {
  readonly code: C;
  readonly context: Readonly<CollectorErrorContexts[C]>;
  readonly retryable: boolean;

  constructor(code: C, context: CollectorErrorContexts[C], options?: { cause?: unknown }) {
    const spec = SPECS[code];
    const causeText = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(`${code}: ${spec.message(context)}${causeText}`, options);
    this.name = 'CollectorError';
    this.code = code;
    this.context = Object.freeze({ ...context });
    this.retryable = spec.retryable;
  }
}

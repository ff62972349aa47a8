/**
 * rewind's one error family. Every failure any room raises is a RewindError
 * (or a room's subclass of it) whose `code` is a key of ERROR_CATALOG below:
 * the catalog says, once for each code, whether a retry can help, what the
 * HTTP API answers, what exit code the CLI ends with, and what the code means
 * (docs/errors.md documents every code, and a test keeps both in step).
 *
 * Callers branch on `code`, never on the message. The message says what
 * happened and what to do; it never starts with the code (the printer adds
 * the code, once). `retryable` defaults to the catalog's value; a room may
 * decide it per case (an I/O error by its errno, a lock by its holder's host)
 * but never the other way round on its way to the user: a wrapper keeps the
 * wrapped error's code and retryable flag, or uses a code whose flag matches.
 *
 * This module imports nothing: the CLI's printer and `rewind status` load it
 * and must start fast.
 */

/** README "Exit codes". */
export const EXIT = {
  OK: 0,
  /** The command failed or refused (the archive, the source, the target, the data). */
  FAILED: 1,
  /** The command line, a configuration file or an environment value is wrong, found before anything was read or written. */
  USAGE: 2,
  /** `verify` found a damaged or missing file. */
  DAMAGE: 3,
  /** `status` found the capture in a critical state. */
  CRITICAL: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Where a code is raised: a room of DESIGN.md, the CLI's verdicts, or anywhere (contracts' own checks). */
export type ErrorRoom = 'any' | 'cli' | 'archive' | 'collector' | 'eventlog' | 'replay' | 'restore' | 'app';

export interface ErrorSpec {
  room: ErrorRoom;
  /** Whether doing the same thing again may succeed (a busy lock, an unreachable server), by default. */
  retryable: boolean;
  /** The status the HTTP API answers with. */
  httpStatus: number;
  /** The CLI's exit code. */
  exitCode: ExitCode;
  /** One line for docs/errors.md: what the code means. */
  doc: string;
  /** What to do, when the message cannot say it better itself. */
  hint?: string;
}

const F = EXIT.FAILED;
const U = EXIT.USAGE;

// Status codes: 400 a wrong request; 404 the named thing is not there; 409 the state refuses it
// (not empty, locked by another, confirmation needed); 422 a well-formed request rewind cannot
// serve (outside the window, in a gap); 500 damage or a bug; 502 a server rewind talks to failed or
// refused; 503 a retry later may help.
export const ERROR_CATALOG = {
  // --- any room
  INTERNAL: { room: 'any', retryable: false, httpStatus: 500, exitCode: F, doc: 'An unexpected error: a bug in rewind.', hint: 'please report it; REWIND_DEBUG=1 prints its stack' },
  CONFIG_INVALID: { room: 'any', retryable: false, httpStatus: 500, exitCode: U, doc: 'The configuration (file, environment or flags) is invalid; the message names each bad field.' },
  BAD_BSON: { room: 'any', retryable: false, httpStatus: 500, exitCode: F, doc: 'Bytes that should be a BSON document are not well-formed BSON.' },
  BAD_EXTENDED_JSON: { room: 'any', retryable: false, httpStatus: 400, exitCode: U, doc: 'Text that should be MongoDB Extended JSON is not; the message gives the character offset.' },
  BAD_POSITION: { room: 'any', retryable: false, httpStatus: 400, exitCode: U, doc: 'A time or position that cannot be parsed (ISO time with a zone, or seconds.increment[.index]).' },
  MONGODB_ERROR: { room: 'any', retryable: false, httpStatus: 502, exitCode: F, doc: 'The MongoDB driver or server failed a call no room wrapped; the message is the server\'s. Retryable when the driver says the server may answer later (network, server selection).' },
  // --- the CLI's verdicts
  VERIFY_DAMAGE_FOUND: { room: 'cli', retryable: false, httpStatus: 500, exitCode: EXIT.DAMAGE, doc: '`verify` found files that are damaged or missing; its report names each one.', hint: 'a restore refuses the damaged range; keep the archive as it is and restore from before the damage or from another copy' },
  STATUS_CRITICAL: { room: 'cli', retryable: false, httpStatus: 503, exitCode: EXIT.CRITICAL, doc: '`status` found the capture in a critical state (its report says why).' },

  // --- archive: the on-disk format, the catalog, the stores
  ARCHIVE_CHECKSUM_MISMATCH: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'An archive file\'s sha256 differs from the catalog\'s: the file is corrupt.' },
  ARCHIVE_TRUNCATED: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'An archive file is shorter than the catalog says.' },
  ARCHIVE_LENGTH_MISMATCH: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'An archive file has another length than the catalog says: it was changed.' },
  ARCHIVE_FILE_MISSING: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'A file the catalog names is missing from the archive.' },
  ARCHIVE_DECODE_FAILED: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'An archive file cannot be decoded (not an Avro container of the expected kind, a bad block).' },
  ARCHIVE_ENCODE_FAILED: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'A record cannot be encoded into a segment or snapshot file.' },
  ARCHIVE_COUNT_MISMATCH: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'An archive file holds another number of records than the catalog says.' },
  ARCHIVE_INVALID_PATH: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'A path inside the archive is not allowed (absolute, with `..`, or otherwise unsafe).' },
  ARCHIVE_IO_FAILED: { room: 'archive', retryable: true, httpStatus: 503, exitCode: F, doc: 'Reading or writing an archive file failed; retryable unless the errno says it stays (ENOTDIR, ENAMETOOLONG, EACCES…).' },
  ARCHIVE_WRITER_CLOSED: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'A segment or snapshot writer was used after it finished or failed (a bug).' },
  SEGMENT_OUT_OF_ORDER: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'An event written to a segment is not after the one before it.' },
  SEGMENT_EMPTY: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'A segment was finished without any event.' },
  SNAPSHOT_OUT_OF_ORDER: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'A snapshot record is out of key order or repeats a key.' },
  CATALOG_NOT_FOUND: { room: 'archive', retryable: false, httpStatus: 404, exitCode: F, doc: 'There is no catalog at the archive location.', hint: 'check --archive (REWIND_ARCHIVE_DIR); `rewind up` or `rewind archive` creates an archive' },
  CATALOG_INVALID: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'The catalog does not match its schema; the message names the field.' },
  CATALOG_CHECKSUM_MISMATCH: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'The catalog was changed outside rewind (its checksum differs) and is refused.' },
  CATALOG_CONFLICT: { room: 'archive', retryable: false, httpStatus: 409, exitCode: F, doc: 'An update contradicts the catalog (another source, a generation already taken).' },
  CATALOG_LOCKED: { room: 'archive', retryable: true, httpStatus: 503, exitCode: F, doc: 'Another writer holds the catalog; retryable unless the holder is on another host (then the message says how to clear it).' },
  CATALOG_LEASE_LOST: { room: 'archive', retryable: false, httpStatus: 503, exitCode: F, doc: 'This process lost the object store\'s writer lease; it must restart.' },
  ARCHIVE_LOCATION_INVALID: { room: 'archive', retryable: false, httpStatus: 400, exitCode: F, doc: 'The archive location is neither a folder nor a valid s3://bucket/prefix.' },
  ARCHIVE_ACCESS_DENIED: { room: 'archive', retryable: false, httpStatus: 502, exitCode: F, doc: 'The object store denied an operation; check the credentials\' permissions.' },
  ARCHIVE_CREDENTIALS_MISSING: { room: 'archive', retryable: false, httpStatus: 502, exitCode: F, doc: 'No credentials for the object store were found.' },
  ARCHIVE_BUCKET_MISSING: { room: 'archive', retryable: false, httpStatus: 502, exitCode: F, doc: 'The bucket does not exist (rewind never creates buckets).' },
  ARCHIVE_KEY_MISSING: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'A file is encrypted with a master key that is not loaded.' },
  ARCHIVE_KEY_WRONG: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'The master key loaded under a file\'s key id does not open its data key.' },
  ARCHIVE_KEY_INVALID: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'A master key cannot be loaded (missing, wrong length, bad encoding).' },
  ARCHIVE_DECRYPT_FAILED: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'An encrypted file does not authenticate: it was altered or damaged.' },
  ARCHIVE_CODEC_UNAVAILABLE: { room: 'archive', retryable: false, httpStatus: 500, exitCode: F, doc: 'A compression codec a file or the configuration needs is not available.' },

  // --- collector: the change stream and the initial copy
  SOURCE_UNREACHABLE: { room: 'collector', retryable: true, httpStatus: 503, exitCode: F, doc: 'The source MongoDB cannot be reached.' },
  SOURCE_TOO_OLD: { room: 'collector', retryable: false, httpStatus: 502, exitCode: F, doc: 'The source runs a MongoDB older than 6.0.' },
  SOURCE_NOT_REPLICA_SET: { room: 'collector', retryable: false, httpStatus: 502, exitCode: F, doc: 'The source is a standalone server; change streams need a replica set or a sharded cluster.' },
  RESUME_POINT_LOST: { room: 'collector', retryable: false, httpStatus: 502, exitCode: F, doc: 'The oplog no longer holds the collector\'s resume point: history was lost (recorded as a gap).' },
  STATE_FILE_INVALID: { room: 'collector', retryable: false, httpStatus: 500, exitCode: F, doc: 'The collector\'s state file cannot be read as one.' },
  EVENT_REJECTED: { room: 'collector', retryable: false, httpStatus: 502, exitCode: F, doc: 'A change event cannot be captured.' },
  SOURCE_PROTOCOL: { room: 'collector', retryable: false, httpStatus: 502, exitCode: F, doc: 'The source answered the change stream with something else than a cursor of change events.' },
  SOURCE_NO_CHANGE_STREAMS: { room: 'collector', retryable: false, httpStatus: 502, exitCode: F, doc: 'The source refuses a change stream over the whole deployment.' },
  COLLECTOR_STOPPED: { room: 'collector', retryable: false, httpStatus: 503, exitCode: F, doc: 'The collector was used after it stopped.' },
  UNKNOWN_OPERATION_TYPE: { room: 'collector', retryable: false, httpStatus: 502, exitCode: F, doc: 'A change event has an operationType rewind does not capture.' },
  MALFORMED_CHANGE_EVENT: { room: 'collector', retryable: false, httpStatus: 502, exitCode: F, doc: 'A change event lacks a field or has one of the wrong type, or is not well-framed BSON.' },
  BAD_SPLIT_EVENT: { room: 'collector', retryable: false, httpStatus: 502, exitCode: F, doc: 'Fragments of a split large event are missing, duplicated or out of order.' },

  // --- event log: Kafka and embedded
  EVENTLOG_CLOSED: { room: 'eventlog', retryable: false, httpStatus: 503, exitCode: F, doc: 'The event log was used after it closed.' },
  EVENTLOG_UNREACHABLE: { room: 'eventlog', retryable: true, httpStatus: 503, exitCode: F, doc: 'The Kafka brokers cannot be reached.' },
  EVENTLOG_TOPIC_LAYOUT: { room: 'eventlog', retryable: false, httpStatus: 500, exitCode: F, doc: 'The Kafka topic has more than one partition (the log must keep the source\'s total order).' },
  EVENTLOG_TOPIC_SETUP_FAILED: { room: 'eventlog', retryable: true, httpStatus: 503, exitCode: F, doc: 'The Kafka topic cannot be created or checked.' },
  EVENTLOG_PUBLISH_FAILED: { room: 'eventlog', retryable: true, httpStatus: 503, exitCode: F, doc: 'Publishing records to the event log failed.' },
  EVENTLOG_COMMIT_FAILED: { room: 'eventlog', retryable: true, httpStatus: 503, exitCode: F, doc: 'Committing the consumer\'s position in the event log failed.' },
  EVENTLOG_DECODE_FAILED: { room: 'eventlog', retryable: false, httpStatus: 500, exitCode: F, doc: 'A record of the event log cannot be decoded.' },
  EVENTLOG_CONSUMER_FAILED: { room: 'eventlog', retryable: true, httpStatus: 503, exitCode: F, doc: 'The event log\'s consumer failed.' },

  // --- replay: the pure engine and the planner
  REPLAY_GAP: { room: 'replay', retryable: false, httpStatus: 422, exitCode: F, doc: 'An update or delete met a document whose prior state is unknown: history is missing.' },
  REPLAY_INCONSISTENT: { room: 'replay', retryable: false, httpStatus: 500, exitCode: F, doc: 'An event cannot be applied to the state it meets.' },
  REPLAY_MALFORMED_EVENT: { room: 'replay', retryable: false, httpStatus: 500, exitCode: F, doc: 'An event lacks a field its operation needs, or carries one that cannot be read.' },
  REPLAY_ORDER_CONFLICT: { room: 'replay', retryable: false, httpStatus: 500, exitCode: F, doc: 'Two different events claim one position, or events go backwards.' },
  REPLAY_RUN_IO: { room: 'replay', retryable: true, httpStatus: 503, exitCode: F, doc: 'A temporary run of the compaction could not be written or read.' },
  UPDATE_NOT_APPLICABLE: { room: 'replay', retryable: false, httpStatus: 500, exitCode: F, doc: 'An updateDescription cannot be applied to the document it meets (e.g. a path through a scalar).' },
  PLAN_BEFORE_WINDOW: { room: 'replay', retryable: false, httpStatus: 422, exitCode: F, doc: 'The restore target lies before the restorable window.' },
  PLAN_PAST_DURABLE: { room: 'replay', retryable: true, httpStatus: 422, exitCode: F, doc: 'The restore target lies past the latest durable position; it may become restorable once capture reaches it.' },
  PLAN_IN_GAP: { room: 'replay', retryable: false, httpStatus: 422, exitCode: F, doc: 'The restore target falls inside recorded lost history.' },
  PLAN_NO_COVERAGE: { room: 'replay', retryable: false, httpStatus: 422, exitCode: F, doc: 'No snapshot, or the segments after the chosen snapshot do not reach the target.' },
  PLAN_EVENT_UNRESOLVED: { room: 'replay', retryable: false, httpStatus: 422, exitCode: F, doc: 'A before-event target whose position is not yet known (the planner lists the segments to scan).' },

  // --- restore, diff and history
  UNKNOWN_NAMESPACE: { room: 'restore', retryable: false, httpStatus: 404, exitCode: F, doc: 'A namespace pattern matched nothing the archive knows at the target time.' },
  OUTSIDE_WINDOW: { room: 'restore', retryable: false, httpStatus: 422, exitCode: F, doc: 'The target time is before the restorable window, or the archive holds no snapshot yet.' },
  IN_GAP: { room: 'restore', retryable: false, httpStatus: 422, exitCode: F, doc: 'The target falls inside recorded lost history, or history needed to reach it is missing.' },
  UNKNOWN_EVENT: { room: 'restore', retryable: false, httpStatus: 404, exitCode: F, doc: 'A before-event id names an event the archive does not hold.' },
  UNKNOWN_SNAPSHOT: { room: 'restore', retryable: false, httpStatus: 404, exitCode: F, doc: 'An --at-snapshot name (or id) names no snapshot of the archive; the message lists the names there are.' },
  BAD_FILTER: { room: 'restore', retryable: false, httpStatus: 400, exitCode: U, doc: 'A filter that is not JSON or not a query document.' },
  UNSUPPORTED_FILTER_OPERATOR: { room: 'restore', retryable: false, httpStatus: 400, exitCode: U, doc: 'A filter operator rewind does not evaluate (refused, never ignored).' },
  UNKNOWN_KEY: { room: 'restore', retryable: false, httpStatus: 404, exitCode: F, doc: 'No document with the given id exists in the namespace at the target time.' },
  BAD_KEY: { room: 'restore', retryable: false, httpStatus: 400, exitCode: U, doc: 'A document id that is not Extended JSON or cannot be a key.' },
  BAD_REPORT: { room: 'restore', retryable: false, httpStatus: 400, exitCode: U, doc: 'A keys-from file that is not a valid rewind diff report.' },
  BAD_OPTIONS: { room: 'restore', retryable: false, httpStatus: 400, exitCode: U, doc: 'Options that are missing, malformed or contradict each other.' },
  TARGET_NOT_EMPTY: { room: 'restore', retryable: false, httpStatus: 409, exitCode: F, doc: 'into-empty found documents in a target collection.' },
  CONFIRMATION_REQUIRED: { room: 'restore', retryable: false, httpStatus: 409, exitCode: F, doc: 'Writing into the source itself needs an explicit confirmation.' },
  ARCHIVE_UNREADABLE: { room: 'restore', retryable: false, httpStatus: 500, exitCode: F, doc: 'An archive file read by a restore is unreadable in a way no archive code names.' },
  ARCHIVE_INCONSISTENT: { room: 'restore', retryable: false, httpStatus: 500, exitCode: F, doc: 'The archive\'s events cannot be replayed onto its own state (a bug or a damaged archive).' },
  TEMP_IO: { room: 'restore', retryable: true, httpStatus: 503, exitCode: F, doc: 'Temporary run files could not be written or read; retryable unless the errno says it stays.' },
  JOB_MISMATCH: { room: 'restore', retryable: false, httpStatus: 409, exitCode: F, doc: 'A job state file exists for this job id with different parameters.' },
  OUTPUT_IO: { room: 'restore', retryable: true, httpStatus: 503, exitCode: F, doc: 'An output file cannot be written; retryable unless the errno says it stays.' },
  JOB_STATE_IO: { room: 'restore', retryable: true, httpStatus: 503, exitCode: F, doc: 'The job state file cannot be read or written; retryable unless the errno says it stays.' },
  TARGET_FAILED: { room: 'restore', retryable: true, httpStatus: 502, exitCode: F, doc: 'The target server refused or failed a write or a read.' },
  ABORTED: { room: 'restore', retryable: true, httpStatus: 409, exitCode: F, doc: 'The job was stopped by its caller (a signal, or a cancelled API job) before it finished; the same request continues or repeats it.' },

  // --- app: the recovery jobs (scan, backup)
  ARCHIVE_BUSY: { room: 'app', retryable: true, httpStatus: 409, exitCode: F, doc: 'A backup found another process (a running capture) holding the archive\'s writer lock; nothing was written.', hint: 'a running capture compacts on its own schedule; for a named snapshot now, stop it, run the backup, start it again' },
  NOTHING_TO_SNAPSHOT: { room: 'app', retryable: false, httpStatus: 409, exitCode: F, doc: 'A backup found no base snapshot or no durable point to fold from (capture has not finished its initial copy).' },
  ARCHIVE_HAS_OPEN_GAP: { room: 'app', retryable: false, httpStatus: 409, exitCode: F, doc: 'A backup cannot fold across an open gap: the history after it is lost until capture takes a new initial copy.' },
  SNAPSHOT_NAME_TAKEN: { room: 'app', retryable: false, httpStatus: 409, exitCode: F, doc: 'A backup name is already a snapshot\'s name in the catalog.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** The spec of a code (INTERNAL's for a string that is no code). */
export function errorSpec(code: string): ErrorSpec {
  return Object.hasOwn(ERROR_CATALOG, code) ? ERROR_CATALOG[code as ErrorCode] : ERROR_CATALOG.INTERNAL;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOG, code);
}

/** The details of one failure (names, paths, positions, counts); rooms type theirs per code. JSON prints it as it is. */
export type ErrorContext = Readonly<Record<string, unknown>>;

export interface RewindErrorOptions<X extends object = ErrorContext> {
  context?: X;
  cause?: unknown;
  hint?: string;
  /** Overrides the catalog's default where the case decides it (an errno, a lock's host). */
  retryable?: boolean;
  /** The command already printed its result (a report that names the problems): the CLI prints nothing more with --json. */
  reported?: boolean;
}

/** The JSON form of an error: `{"error": …}` of `--json` and of the HTTP API. */
export interface ErrorJson {
  code: string;
  message: string;
  hint: string | null;
  retryable: boolean;
  context: Readonly<Record<string, unknown>>;
}

export class RewindError<C extends ErrorCode = ErrorCode, X extends object = ErrorContext> extends Error {
  readonly code: C;
  readonly hint: string | undefined;
  readonly context: Readonly<X>;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly exitCode: ExitCode;
  readonly reported: boolean;

  constructor(code: C, message: string, options: RewindErrorOptions<X> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const spec: ErrorSpec = ERROR_CATALOG[code];
    this.name = 'RewindError';
    this.code = code;
    this.hint = options.hint ?? spec.hint;
    this.context = Object.freeze({ ...(options.context ?? ({} as X)) });
    this.retryable = options.retryable ?? spec.retryable;
    this.httpStatus = spec.httpStatus;
    this.exitCode = spec.exitCode;
    this.reported = options.reported ?? false;
  }

  toJSON(): ErrorJson {
    return { code: this.code, message: this.message, hint: this.hint ?? null, retryable: this.retryable, context: this.context };
  }
}

export function isRewindError<C extends ErrorCode>(err: unknown, code?: C): err is RewindError<C> {
  return err instanceof RewindError && (code === undefined || err.code === code);
}

/** `err`'s message without a leading `CODE: ` (messages of older shapes and of wrapped errors). */
export function messageWithoutCode(message: string, code: string): string {
  return message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
}

/** One line for a status file or a log field: `CODE: message` for a catalogued error, the message otherwise. */
export function errorLine(err: unknown): string {
  if (isRewindError(err)) return `${err.code}: ${messageWithoutCode(err.message, err.code)}`;
  return err instanceof Error ? err.message : String(err);
}

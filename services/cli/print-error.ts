/**
 * The CLI's one failure printer. Commands throw; runCli (program.ts) hands
 * what they threw here, and this prints it once and gives the exit code:
 *
 *   rewind <command>: CODE: message
 *     hint
 *   … (retrying may help)            when a retry can help
 *
 * or, with --json, `{"error": {code, message, hint, retryable, context}}` as
 * the only thing on stdout. Never a stack trace, unless REWIND_DEBUG is set
 * and the error is INTERNAL (a bug).
 *
 * It imports contracts/errors.ts only: `rewind status` and `--version` load
 * this file and must start fast (no driver, no Avro).
 */
import { RewindError, isErrorCode, isRewindError, messageWithoutCode } from '../../contracts/errors.js';
import type { ErrorJson } from '../../contracts/errors.js';

export interface PrintIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The environment (REWIND_DEBUG); process.env when absent. */
  env?: NodeJS.ProcessEnv;
}

/** Driver errors whose names say the server may answer later (network, selection, timeouts, a cleared pool). */
const TRANSIENT_MONGO = /^Mongo(Network|NetworkTimeout|ServerSelection|Topology|PoolCleared|WaitQueueTimeout)/;

/**
 * Anything thrown, as a RewindError: a RewindError as it is; an error of
 * another shape that carries a catalogued code (and maybe `retryable`) with
 * that code and flag; a MongoDB driver error that no room wrapped as
 * MONGODB_ERROR (by its name or labels, so this file never loads the driver);
 * anything else as INTERNAL, a bug.
 */
export function asRewindError(err: unknown): RewindError {
  if (isRewindError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown; name?: unknown; retryable?: unknown; context?: unknown; hasErrorLabel?: (l: string) => boolean };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const retryable = typeof e.retryable === 'boolean' ? { retryable: e.retryable } : {};
  if (isErrorCode(e.code) && e.code !== 'INTERNAL') {
    const context = typeof e.context === 'object' && e.context !== null ? { context: e.context as Record<string, unknown> } : {};
    return new RewindError(e.code, messageWithoutCode(message, e.code), { cause: err, ...retryable, ...context });
  }
  const name = typeof e.name === 'string' ? e.name : '';
  if (name.startsWith('Mongo')) {
    const transient = TRANSIENT_MONGO.test(name) || e.hasErrorLabel?.('RetryableWriteError') === true || e.hasErrorLabel?.('ResumableChangeStreamError') === true;
    return new RewindError('MONGODB_ERROR', `${name}: ${message}`, { cause: err, retryable: transient });
  }
  return new RewindError('INTERNAL', err instanceof Error ? `${name || 'Error'}: ${message}` : message, { cause: err });
}

/** JSON of an error: context values JSON cannot carry (bigint) as strings. */
function errorJson(e: RewindError): string {
  const body: { error: ErrorJson } = { error: e.toJSON() };
  return JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2);
}

/** The human form: the code once, the message, the hint, whether a retry can help. */
export function formatError(command: string | undefined, e: RewindError): string {
  const lines = [`rewind${command ? ` ${command}` : ''}: ${e.code}: ${messageWithoutCode(e.message, e.code)}`];
  if (e.hint !== undefined) lines.push(`  ${e.hint}`);
  if (e.retryable) lines[lines.length - 1] += ' (retrying may help)';
  return `${lines.join('\n')}\n`;
}

/**
 * Prints `err` for `command` (undefined when no command ran) and returns the
 * exit code the README documents for it.
 */
export function printError(io: PrintIo, command: string | undefined, err: unknown, json: boolean): number {
  const e = asRewindError(err);
  if (json) {
    // A command that already printed its report (verify's bad files) ends with its exit code alone.
    if (!e.reported) io.stdout(`${errorJson(e)}\n`);
  } else {
    io.stderr(formatError(command, e));
  }
  if (e.code === 'INTERNAL' && (io.env ?? process.env).REWIND_DEBUG) {
    const original = e.cause ?? e;
    io.stderr(`${original instanceof Error ? (original.stack ?? '') : JSON.stringify(original)}\n`);
  }
  return e.exitCode;
}

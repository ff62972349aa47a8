/**
 * Output of the restore, diff and history commands: a report as JSON (for
 * machines, `--json`) or as a few lines for people, and failures as
 * `rewind <command>: CODE: message` (or `{"error": {...}}` with --json) with a
 * non-zero exit, never a stack trace. The error's `retryable` says whether
 * running the same command again can help.
 *
 * Exit codes (README "Exit codes"): 0 done; 1 the command failed or refused
 * (the archive, the target or the data: the code says which); 2 the command
 * line, a configuration file or an environment value is wrong, found before
 * anything was read or written.
 */
import { CommanderError, InvalidArgumentError } from 'commander';
import { MongoError } from 'mongodb';
import { RestoreError } from '../restore/errors.js';
import { toRestoreError } from '../restore/translate-errors.js';
import { stringifyJson } from '../../contracts/ordered-json.js';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The environment the command reads (REWIND_*); process.env when absent. */
  env?: NodeJS.ProcessEnv;
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Codes that mean "what was given is wrong", found before anything was read or written. */
const USAGE_CODES: ReadonlySet<string> = new Set(['BAD_OPTIONS', 'BAD_POSITION', 'BAD_FILTER', 'UNSUPPORTED_FILTER_OPERATOR', 'BAD_KEY', 'BAD_REPORT', 'CONFIG_INVALID']);

export function exitCodeFor(code: string): number {
  return USAGE_CODES.has(code) ? EXIT_USAGE : EXIT_FAILURE;
}

export interface PrintedError {
  code: string;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** Anything thrown, as the error a command prints: catalogued errors as they are, the rest as INTERNAL (a bug), never a stack. */
export function printableError(err: unknown): PrintedError {
  const translated = toRestoreError(err);
  if (translated instanceof RestoreError) return translated.toJSON() as unknown as PrintedError;
  if (translated instanceof MongoError) return new RestoreError('TARGET_FAILED', translated.message, { cause: translated }).toJSON() as unknown as PrintedError;
  const e = translated as { name?: unknown; message?: unknown };
  const what = translated instanceof Error ? `${String(e.name)}: ${String(e.message)}` : String(translated);
  return { code: 'INTERNAL', message: `${what} (an unexpected error, a bug in rewind: please report it; REWIND_DEBUG=1 prints its stack)`, retryable: false };
}

/** Prints the failure and ends the command through commander (runCli turns it into the exit code). */
export function fail(io: CommandIo, command: string, json: boolean, err: unknown): never {
  if (err instanceof CommanderError) throw err;
  const e = printableError(err);
  if (json) io.stdout(`${JSON.stringify({ error: e }, null, 2)}\n`);
  else io.stderr(`rewind ${command}: ${e.code}: ${e.message}${e.retryable ? ' (retrying may help)' : ''}\n`);
  if (e.code === 'INTERNAL' && (io.env ?? process.env).REWIND_DEBUG) io.stderr(`${err instanceof Error ? (err.stack ?? '') : ''}\n`);
  throw new CommanderError(exitCodeFor(e.code), `rewind.${e.code}`, e.message);
}

export function printJson(io: CommandIo, value: unknown): void {
  io.stdout(`${stringifyJson(value, 2)}\n`);
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

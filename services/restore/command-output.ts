/**
 * Output of the restore, diff and history commands: a report as JSON (for
 * machines, `--json`) or as a few lines for people, and failures as
 * `rewind <command>: CODE: message` (or `{"error": {...}}` with --json) with a
 * non-zero exit. Exit codes: 1 for every failure; the error's `retryable`
 * says whether running the same command again can help.
 */
import { CommanderError, InvalidArgumentError } from 'commander';
import { MongoError } from 'mongodb';
import { RestoreError } from './errors.js';
import { toRestoreError } from './translate-errors.js';
import { stringifyJson } from '../../contracts/ordered-json.js';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const EXIT_FAILURE = 1;

function asRestoreError(err: unknown): RestoreError {
  const translated = toRestoreError(err);
  if (translated instanceof RestoreError) return translated;
  if (translated instanceof MongoError) return new RestoreError('TARGET_FAILED', translated.message, { cause: translated });
  throw translated;
}

/** Prints the failure and ends the command through commander (runCli turns it into the exit code). */
export function fail(io: CommandIo, command: string, json: boolean, err: unknown): never {
  if (err instanceof CommanderError) throw err;
  const e = asRestoreError(err);
  if (json) io.stdout(`${JSON.stringify({ error: e.toJSON() }, null, 2)}\n`);
  else io.stderr(`rewind ${command}: ${e.code}: ${e.message}${e.retryable ? ' (retrying may help)' : ''}\n`);
  throw new CommanderError(EXIT_FAILURE, `rewind.${e.code}`, e.message);
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

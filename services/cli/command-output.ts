/**
 * Output of the restore, diff and history commands: a report as JSON (for
 * machines, `--json`) or as a few lines for people. Failures are thrown, never
 * printed here: runCli prints each once (services/cli/print-error.ts) and
 * exits with the code contracts/errors.ts gives it (README "Exit codes").
 */
import { InvalidArgumentError } from 'commander';
import { toRestoreError } from '../restore/translate-errors.js';
import { stringifyJson } from '../../contracts/ordered-json.js';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The environment the command reads (REWIND_*); process.env when absent. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Ends the command with `err` as restore words it (toRestoreError): runCli prints it. The io, command
 * and json arguments are no longer needed (the printer knows them); they stay until the commands
 * become thin adapters over services/app, so that their catch blocks need not change twice.
 */
export function fail(_io: CommandIo, _command: string, _json: boolean, err: unknown): never {
  throw toRestoreError(err);
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

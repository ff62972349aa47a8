/**
 * Output shared by the archive commands (catalog, verify): JSON for machines
 * (`--json`), lines for people, and failures as `rewind <command>: CODE: message`
 * (or `{"error": {...}}` with --json), never a stack trace, ending in exit
 * code 1 (2 for a missing --archive: cli/command-output.ts has the codes).
 */
import { archiveDirFromEnv } from '../archive-dir-env.js';
import { CommanderError } from 'commander';
import { isArchiveError } from '../../archive/index.js';
import { stringifyJson } from '../../../contracts/ordered-json.js';
import { exitCodeFor, printableError } from '../command-output.js';
import { RestoreError } from '../../restore/errors.js';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The environment the command reads (REWIND_*); process.env when absent. */
  env?: NodeJS.ProcessEnv;
}

export const EXIT_FAILURE = 1;

export function printJson(io: CommandIo, value: unknown): void {
  io.stdout(`${stringifyJson(value, 2)}\n`);
}

/** Ends the command with exit code 1 (runCli turns the CommanderError into the code). */
export function exitFailure(message: string): never {
  throw new CommanderError(EXIT_FAILURE, 'rewind.failed', message);
}

/** Prints an error and ends the command. Archive errors keep their stable code and context. */
export function fail(io: CommandIo, command: string, json: boolean, err: unknown): never {
  if (err instanceof CommanderError) throw err;
  if (isArchiveError(err)) {
    // Archive errors lead their message with their code.
    if (json) printJson(io, { error: { code: err.code, message: err.message, retryable: err.retryable, context: err.context } });
    else io.stderr(`rewind ${command}: ${err.message}${err.retryable ? ' (retrying may help)' : ''}\n`);
    exitFailure(err.message);
  }
  const e = printableError(err);
  if (json) printJson(io, { error: e });
  else io.stderr(`rewind ${command}: ${e.code}: ${e.message}${e.retryable ? ' (retrying may help)' : ''}\n`);
  throw new CommanderError(exitCodeFor(e.code), `rewind.${e.code}`, e.message);
}

/** The archive folder from --archive or REWIND_ARCHIVE_DIR. */
export function archiveDir(io: CommandIo, command: string, json: boolean, flag: string | undefined): string {
  const dir = flag ?? archiveDirFromEnv(io.env);
  if (!dir) fail(io, command, json, new RestoreError('BAD_OPTIONS', 'give --archive <dir> (or set REWIND_ARCHIVE_DIR)'));
  return dir;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

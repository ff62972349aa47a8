/**
 * Output shared by the archive commands (catalog, verify): JSON for machines
 * (`--json`), lines for people, and failures as `rewind <command>: CODE: message`
 * (or `{"error": {...}}` with --json) ending in exit code 1.
 */
import { archiveDirFromEnv } from '../archive-dir-env.js';
import { CommanderError } from 'commander';
import { isArchiveError } from '../../archive/index.js';
import { stringifyJson } from '../../../contracts/ordered-json.js';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
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
  const code = isArchiveError(err) ? err.code : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  const retryable = isArchiveError(err) ? err.retryable : false;
  if (json) {
    printJson(io, { error: { code, message, retryable, context: isArchiveError(err) ? err.context : undefined } });
  } else {
    io.stderr(`rewind ${command}: ${message}${retryable ? ' (retrying may help)' : ''}\n`);
  }
  exitFailure(message);
}

/** The archive folder from --archive or REWIND_ARCHIVE_DIR. */
export function archiveDir(io: CommandIo, command: string, json: boolean, flag: string | undefined): string {
  const dir = flag ?? archiveDirFromEnv();
  if (!dir) fail(io, command, json, new Error('give --archive <dir> (or set REWIND_ARCHIVE_DIR)'));
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

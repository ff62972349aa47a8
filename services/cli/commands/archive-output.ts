/**
 * Output shared by the archive commands (catalog, verify, keys): JSON for
 * machines (`--json`), lines for people. Failures are thrown: runCli prints
 * each once (print-error.ts) with the exit code contracts/errors.ts gives it.
 */
import { archiveDirFromEnv } from '../archive-dir-env.js';
import { CommanderError } from 'commander';
import { EXIT, RewindError } from '../../../contracts/errors.js';
import { stringifyJson } from '../../../contracts/ordered-json.js';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The environment the command reads (REWIND_*); process.env when absent. */
  env?: NodeJS.ProcessEnv;
}

export const EXIT_FAILURE = EXIT.FAILED;

export function printJson(io: CommandIo, value: unknown): void {
  io.stdout(`${stringifyJson(value, 2)}\n`);
}

/** Ends the command with exit code 1 after it printed its own report (runCli turns the CommanderError into the code). */
export function exitFailure(message: string): never {
  throw new CommanderError(EXIT_FAILURE, 'rewind.failed', message);
}

/** Ends the command with `err`: runCli prints it. Kept (with arguments it no longer needs) so the commands' catch blocks stay as they are. */
export function fail(_io: CommandIo, _command: string, _json: boolean, err: unknown): never {
  throw err;
}

/** The archive folder from --archive or REWIND_ARCHIVE_DIR. */
export function archiveDir(io: CommandIo, _command: string, _json: boolean, flag: string | undefined): string {
  const dir = flag ?? archiveDirFromEnv(io.env);
  if (!dir) throw new RewindError('BAD_OPTIONS', 'give --archive <dir> (or set REWIND_ARCHIVE_DIR)');
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

/**
 * The `rewind` command: one entry for every job. commander parses argv, prints
 * help, and rejects unknown commands and options with a message naming them.
 * Each job's logic lives in its service; this file only wires options to it.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerArchiveCommand } from './commands/archive.js';
import { registerCatalogCommand } from './commands/catalog.js';
import { registerCollectCommand } from './commands/collect.js';
import { registerDiffCommand } from './commands/diff.js';
import { registerHistoryCommand } from './commands/history.js';
import { registerRestoreCommand } from './commands/restore.js';
import { registerStatusCommand } from './commands/status.js';
import { registerUpCommand } from './commands/up.js';
import { registerVerifyCommand } from './commands/verify.js';
import { EXIT_USAGE, printableError } from '../restore/command-output.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The environment the commands read (REWIND_*); process.env when absent (tests give their own). */
  env?: NodeJS.ProcessEnv;
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('rewind')
    .description('Continuous, event-sourced backup and point-in-time recovery for MongoDB')
    .version(pkg.version, '-V, --version', 'print the version')
    .showHelpAfterError('(run rewind --help for the commands)')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  // In the order of DESIGN.md's command list.
  for (const register of [
    registerUpCommand,
    registerCollectCommand,
    registerArchiveCommand,
    registerStatusCommand,
    registerRestoreCommand,
    registerDiffCommand,
    registerHistoryCommand,
    registerCatalogCommand,
    registerVerifyCommand,
  ]) {
    // Subcommands inherit the output, exit override and help-after-error settings set above.
    register(program, io);
  }
  return program;
}

/**
 * Runs argv (without node and script) and returns the exit code (README
 * "Exit codes"): 0 done, 1 failed or refused, 2 a wrong command line,
 * configuration or environment value. Never throws: an error no command
 * caught is printed as one line (INTERNAL, a bug), without a stack trace
 * unless REWIND_DEBUG is set.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version end through exitOverride with code 0; commander's own usage errors
      // (unknown option or command, a missing or invalid option value) are usage: 2.
      return err.code.startsWith('commander.') && err.exitCode === 1 ? EXIT_USAGE : err.exitCode;
    }
    return internalError(io, err);
  }
}

/** Prints an error that escaped every command as one line; exit 1. */
export function internalError(io: CliIo, err: unknown): number {
  const e = printableError(err);
  io.stderr(`rewind: ${e.code}: ${e.message}\n`);
  if ((io.env ?? process.env).REWIND_DEBUG && err instanceof Error) io.stderr(`${err.stack ?? ''}\n`);
  return 1;
}

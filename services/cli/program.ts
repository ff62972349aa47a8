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
import { registerKeysCommand } from './commands/keys.js';
import { registerRestoreCommand } from './commands/restore.js';
import { registerStatusCommand } from './commands/status.js';
import { registerUpCommand } from './commands/up.js';
import { registerVerifyCommand } from './commands/verify.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
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
    registerKeysCommand,
  ]) {
    // Subcommands inherit the output, exit override and help-after-error settings set above.
    register(program, io);
  }
  return program;
}

/** Runs argv (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version end through exitOverride with code 0.
      return err.exitCode;
    }
    throw err;
  }
}

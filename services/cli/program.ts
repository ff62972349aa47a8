/**
 * The `rewind` command: one entry for every job. commander parses argv, prints
 * help, and rejects unknown commands and options with a message naming them.
 * Each job's logic lives in its service; this file only wires options to it.
 *
 * Commands load lazily: when argv names a command, only that command's module
 * (and what it imports: the driver, kafkajs, the archive readers…) is loaded,
 * and `--version` loads none, so a quick command starts in about the time node
 * itself takes. Help, a typo or no command at all loads every command, because
 * the help text and the "did you mean" suggestion need them all.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';

/** README "Exit codes": a wrong command line, configuration or environment value (cli/command-output.ts has the rest). */
const EXIT_USAGE = 2;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The environment the commands read (REWIND_*); process.env when absent (tests give their own). */
  env?: NodeJS.ProcessEnv;
}

type Register = (program: Command, io: CliIo) => Command;

// In the order of DESIGN.md's command list.
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  up: async () => (await import('./commands/up.js')).registerUpCommand,
  collect: async () => (await import('./commands/collect.js')).registerCollectCommand,
  archive: async () => (await import('./commands/archive.js')).registerArchiveCommand,
  status: async () => (await import('./commands/status.js')).registerStatusCommand,
  restore: async () => (await import('./commands/restore.js')).registerRestoreCommand,
  diff: async () => (await import('./commands/diff.js')).registerDiffCommand,
  history: async () => (await import('./commands/history.js')).registerHistoryCommand,
  catalog: async () => (await import('./commands/catalog.js')).registerCatalogCommand,
  verify: async () => (await import('./commands/verify.js')).registerVerifyCommand,
  keys: async () => (await import('./commands/keys.js')).registerKeysCommand,
};

const VERSION_FLAGS = new Set(['-V', '--version']);

/** The package's version, from the package.json above this file (sources) or above dist/ (the build). */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rewind' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not at this level: try the next one up.
    }
  }
  throw new Error('rewind: package.json not found beside the program');
}

/** The commands argv needs: the one it names, none for --version, all otherwise. */
function commandsFor(argv: readonly string[]): string[] {
  const first = argv[0];
  if (first !== undefined && VERSION_FLAGS.has(first)) return [];
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) return [first];
  return Object.keys(COMMANDS);
}

/** The program with the named commands registered (all of them by default). */
export async function buildProgram(io: CliIo, names: readonly string[] = Object.keys(COMMANDS)): Promise<Command> {
  const program = new Command('rewind')
    .description('Continuous, event-sourced backup and point-in-time recovery for MongoDB')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run rewind --help for the commands)')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  const registers = await Promise.all(names.map((name) => COMMANDS[name]?.() ?? Promise.reject(new Error(`rewind: no command ${name}`))));
  // Subcommands inherit the output, exit override and help-after-error settings set above.
  for (const register of registers) register(program, io);
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
  const program = await buildProgram(io, commandsFor(argv));
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
  // Formatted here, not by cli/command-output.ts: that module loads the driver, and this file must start
  // fast (`--version` loads commander only). Catalogued errors keep their code; anything else is INTERNAL.
  const e = err as { code?: unknown; message?: unknown; name?: unknown } | null;
  const catalogued = typeof e?.code === 'string' && /^[A-Z][A-Z_]+$/.test(e.code) && typeof e.message === 'string';
  const what = err instanceof Error ? `${String(e?.name)}: ${String(e?.message)}` : String(err);
  const line = catalogued
    ? `${String(e?.code)}: ${String(e?.message).replace(new RegExp(`^${String(e?.code)}: `), '')}`
    : `INTERNAL: ${what} (an unexpected error, a bug in rewind: please report it; REWIND_DEBUG=1 prints its stack)`;
  io.stderr(`rewind: ${line}\n`);
  if ((io.env ?? process.env).REWIND_DEBUG && err instanceof Error) io.stderr(`${err.stack ?? ''}\n`);
  return 1;
}

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
import { EXIT } from '../../contracts/errors.js';
import { printError } from './print-error.js';

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
  scan: async () => (await import('./commands/scan.js')).registerScanCommand,
  backup: async () => (await import('./commands/backup.js')).registerBackupCommand,
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

/** The command that ran (`keys rotate` for a subcommand) and whether it was given --json. */
interface Ran {
  command: string | undefined;
  json: boolean;
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Runs argv (without node and script) and returns the exit code (README
 * "Exit codes"): 0 done, 1 failed or refused, 2 a wrong command line,
 * configuration or environment value, 3 verify found damage, 4 status is
 * critical. Never throws: commands throw their failures, and this prints
 * each once through print-error.ts (INTERNAL for what no room catalogued,
 * without a stack trace unless REWIND_DEBUG is set).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = await buildProgram(io, commandsFor(argv));
  // Before the action knows better (an error while parsing): the command argv names, --json if given.
  const first = argv[0];
  const ran: Ran = { command: first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined, json: argv.includes('--json') };
  program.hook('preAction', (_program, action) => {
    ran.command = commandPath(action);
    ran.json = action.opts<{ json?: boolean }>().json === true;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version end through exitOverride with code 0; commander's own usage errors
      // (unknown option or command, a missing or invalid option value) are usage: 2. Others
      // (a command's exit code after it printed its own report) are what they say.
      return err.code.startsWith('commander.') && err.exitCode === 1 ? EXIT.USAGE : err.exitCode;
    }
    return printError(io, ran.command, err, ran.json);
  }
}

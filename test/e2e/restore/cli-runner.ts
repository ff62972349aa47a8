/**
 * Runs `rewind` with the restore, diff and history commands registered on the
 * project's program (services/cli/program.ts), in process, capturing output.
 * program.ts wires these commands itself; registering them here keeps these
 * tests independent of that wiring.
 */
import { CommanderError } from 'commander';
import { registerDiffCommand } from '../../../services/cli/commands/diff.js';
import { registerHistoryCommand } from '../../../services/cli/commands/history.js';
import { registerRestoreCommand } from '../../../services/cli/commands/restore.js';
import { buildProgram } from '../../../services/cli/program.js';
import type { CliIo } from '../../../services/cli/program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runRewind(argv: readonly string[], io?: CliIo): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink: CliIo = io ?? { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const program = buildProgram(sink);
  for (const register of [registerRestoreCommand, registerDiffCommand, registerHistoryCommand]) register(program, sink).exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (err instanceof CommanderError) return { code: err.exitCode, stdout, stderr };
    throw err;
  }
}

/** The `error` object a failing command prints with --json. */
export function errorOf(run: CliRun): { code: string; message: string; retryable: boolean } {
  return (JSON.parse(run.stdout) as { error: { code: string; message: string; retryable: boolean } }).error;
}

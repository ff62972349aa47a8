/**
 * Runs `rewind` in process through the project's entry (services/cli/program.ts
 * runCli), capturing its output, so a test sees exactly what a person would.
 */
import { runCli } from '../../../services/cli/program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `env`: the environment the command reads (REWIND_*); this process's when absent. */
export async function runRewind(argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), ...(env ? { env } : {}) });
  return { code, stdout, stderr };
}

/** The `error` object a failing command prints with --json. */
export function errorOf(run: CliRun): { code: string; message: string; retryable: boolean } {
  return (JSON.parse(run.stdout) as { error: { code: string; message: string; retryable: boolean } }).error;
}

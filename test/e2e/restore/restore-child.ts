// A `rewind` process for the kill-and-resume test: runs argv through the same
// program and commands as cli-runner.ts, so the test can SIGKILL it midway.
import { runRewind } from './cli-runner.js';

const run = await runRewind(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});
process.exitCode = run.code;

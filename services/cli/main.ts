// Process entry of the `rewind` command (bin/rewind.mjs loads it).
import { runCli } from './program.js';
import { printError } from './print-error.js';

const io = {
  stdout: (t: string) => void process.stdout.write(t),
  stderr: (t: string) => void process.stderr.write(t),
};
// An error thrown where no command can catch it (a driver callback, a timer): one line, its exit code, never a stack trace.
const escaped = (err: unknown) => {
  process.exitCode = printError(io, undefined, err, false);
  process.exit();
};
process.on('uncaughtException', escaped);
process.on('unhandledRejection', escaped);
process.exitCode = await runCli(process.argv.slice(2), io);

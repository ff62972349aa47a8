// Process entry of the `rewind` command (bin/rewind.mjs loads it).
import { internalError, runCli } from './program.js';

const io = {
  stdout: (t: string) => void process.stdout.write(t),
  stderr: (t: string) => void process.stderr.write(t),
};
// An error thrown where no command can catch it (a driver callback, a timer): one line, exit 1, never a stack trace.
const escaped = (err: unknown) => {
  process.exitCode = internalError(io, err);
  process.exit();
};
process.on('uncaughtException', escaped);
process.on('unhandledRejection', escaped);
process.exitCode = await runCli(process.argv.slice(2), io);

/**
 * restore and diff stop at once on SIGINT or SIGTERM (nothing to drain: a
 * restore's progress is durable after every batch, a diff is read-only),
 * through process.exit, so that the exit hook of their scratch folders runs
 * (Node's default for a signal ends the process without it, and a killed
 * restore left its `rewind-runs-*` folder behind). Exit 130 or 143.
 */
export function stopOnSignal(command: string, io: { stderr: (text: string) => void }): () => void {
  const stop = (signal: NodeJS.Signals) => {
    io.stderr(`rewind ${command}: stopped by ${signal}; temporary files removed${command === 'restore' ? '; run the same command with the same --job to resume' : ''}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
}

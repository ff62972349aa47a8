/**
 * A progress bar on a terminal (cli-progress, on stderr so stdout stays the
 * report); nothing at all when stderr is not a TTY or when --json is given.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update: (ns: string, processed: number, total: number | null) => void;
  stop: () => void;
}

export function progressBar(label: string, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const multi = new cliProgress.MultiBar(
    { stream: process.stderr, clearOnComplete: false, hideCursor: true, format: `${label} {ns} |{bar}| {value}{of} docs` },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    update: (ns, processed, total) => {
      let bar = bars.get(ns);
      if (!bar) {
        bar = multi.create(total ?? 0, 0, { ns, of: total === null ? '' : `/${total}` });
        bars.set(ns, bar);
      }
      if (total !== null && processed > total) bar.setTotal(processed);
      bar.update(processed, { ns, of: total === null ? '' : `/${Math.max(total, processed)}` });
    },
    stop: () => multi.stop(),
  };
}

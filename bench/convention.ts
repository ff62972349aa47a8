/**
 * The benchmark convention: every bench/<name>.ts exports `run(ctx)` returning
 * figures; each figure is measured beside a baseline on the same data in the
 * same run, and `ratio` is oriented so that higher is better.
 */
export interface Baseline {
  what: string;
  value: number;
}

export interface Figure {
  metric: string;
  unit: string;
  value: number;
  baseline?: Baseline;
  /** value / baseline.value, or the inverse when lower is better; null without a baseline. */
  ratio?: number | null;
  /** Set when a lower value is better (latency, memory). */
  lowerIsBetter?: boolean;
  target?: string;
}

export interface BenchContext {
  quick: boolean;
  /** Extra arguments after the benchmark name. */
  args: readonly string[];
  log: (line: string) => void;
}

export interface BenchResult {
  figures: Figure[];
  params: Record<string, unknown>;
}

export interface BenchModule {
  run: (ctx: BenchContext) => Promise<BenchResult>;
}

export function withRatio(f: Figure): Figure & { ratio: number | null } {
  if (!f.baseline || f.baseline.value === 0 || f.value === 0) return { ...f, ratio: f.baseline ? null : null };
  const ratio = f.lowerIsBetter ? f.baseline.value / f.value : f.value / f.baseline.value;
  return { ...f, ratio: Math.round(ratio * 1000) / 1000 };
}

/** Runs fn once and returns elapsed seconds. */
export async function timed(fn: () => Promise<void> | void): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Samples the process's resident memory while fn runs and returns the peak (bytes). */
export async function peakRss<T>(fn: () => Promise<T>, everyMs = 20): Promise<{ result: T; peakRssBytes: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakRssBytes: peak };
  } finally {
    clearInterval(timer);
  }
}

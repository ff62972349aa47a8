/**
 * Benchmark `cli-start`: how long the shipped `rewind` command (bin/rewind.mjs,
 * running the compiled dist/) takes from spawn to exit, beside `node -e 0`
 * spawned the same way in the same run: node's own start, the floor no
 * command can beat. Target: at most 3× node's start (ratio ≥ 0.333, since the
 * ratio is node's time over rewind's).
 *
 * Measured: `rewind --version`, and `rewind status` on an empty archive (a
 * catalog initialized, nothing captured), the two quick commands an operator
 * or a health check runs most. Beside them, without a target: `rewind --help`,
 * which loads every command's module, and `--version` run from the TypeScript
 * sources through tsx, the start before the build existed.
 *
 * Each round spawns every case once, in an order that rotates each round (so
 * no case always follows another); 15 rounds with --quick, 60 in the full
 * run, after one warm-up round (the OS file cache). Figures are medians.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CatalogStore } from '../services/archive/index.js';
import { tempDir } from '../services/archive/testing/samples.js';
import type { BenchContext, BenchResult, Figure } from './convention.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/rewind.mjs', import.meta.url));
const BUILD = fileURLToPath(new URL('../deploy/build/build-cli.mjs', import.meta.url));
const SOURCE_MAIN = fileURLToPath(new URL('../services/cli/main.ts', import.meta.url));
const TARGET = '>= 0.333 (at most 3× node)';

interface Case {
  name: string;
  args: string[];
  /** Checks one run's output, so a case that fails fast is not mistaken for a fast start. */
  expect: (stdout: string) => boolean;
  target?: string;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Milliseconds from spawn to exit of `node <args>`; throws when the run fails or prints the wrong thing. */
function spawnMs(c: Case, env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.args, { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 || !c.expect(r.stdout)) throw new Error(`cli-start: ${c.name} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return ms;
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  // The benchmark is of the shipped build, so it must be the build of these sources.
  const built = spawnSync(process.execPath, [BUILD, '--if-stale'], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('cli-start: the build failed');
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const rounds = ctx.quick ? 15 : 60;
  const { dir, cleanup } = await tempDir('rewind-bench-cli-start-');
  try {
    await new CatalogStore(dir).init('bench-cli-start');
    const baseline: Case = { name: 'node -e 0', args: ['-e', '0'], expect: () => true };
    const cases: Case[] = [
      baseline,
      { name: 'rewind --version', args: [BIN, '--version'], expect: (out) => out === `${version}\n`, target: TARGET },
      { name: 'rewind status (empty archive)', args: [BIN, 'status', '--archive', dir], expect: (out) => out.startsWith('WARN: ') && out.includes('\nsource bench-cli-start\n'), target: TARGET },
      { name: 'rewind --help (loads every command)', args: [BIN, '--help'], expect: (out) => out.includes('restore') },
      { name: 'rewind --version from the sources through tsx (before the build)', args: ['--import', 'tsx', SOURCE_MAIN, '--version'], expect: (out) => out === `${version}\n` },
    ];
    // No archive folder from the caller's environment, no inherited loader flags.
    const env: NodeJS.ProcessEnv = { ...process.env, REWIND_ARCHIVE_DIR: '', NODE_OPTIONS: '' };
    const times = cases.map(() => [] as number[]);
    for (const c of cases) spawnMs(c, env); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < cases.length; k++) {
        const i = (round + k) % cases.length;
        (times[i] as number[]).push(spawnMs(cases[i] as Case, env));
      }
    }
    const medians = times.map(median);
    const nodeMs = medians[0] as number;
    cases.forEach((c, i) => ctx.log(`${c.name}: median ${(medians[i] as number).toFixed(1)} ms, min ${Math.min(...(times[i] as number[])).toFixed(1)} ms`));
    const figures: Figure[] = cases.slice(1).map((c, k) => ({
      metric: `${c.name}: spawn to exit`,
      unit: 'ms',
      value: Math.round((medians[k + 1] as number) * 10) / 10,
      baseline: { what: 'node -e 0, spawned the same way in the same rounds', value: Math.round(nodeMs * 10) / 10 },
      lowerIsBetter: true,
      ...(c.target ? { target: c.target } : {}),
    }));
    return {
      figures,
      params: {
        rounds,
        order: 'each round runs every case once, the order rotating by one each round; one warm-up round first',
        statistic: 'median of the rounds',
        archive: 'empty: a catalog initialized (CatalogStore.init), no snapshot, segment or status file',
        build: 'dist/ from `npm run build` (tsc, tsconfig.build.json), built first when stale',
        minimumsMs: Object.fromEntries(cases.map((c, i) => [c.name, Math.round(Math.min(...(times[i] as number[])) * 10) / 10])),
      },
    };
  } finally {
    await cleanup();
  }
}

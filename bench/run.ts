/**
 * `npm run bench -- <name> [--quick] [...]`: runs bench/<name>.ts, prints a
 * table and writes bench/results/<name>.json.
 */
import { mkdirSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { withRatio } from './convention.js';
import type { BenchModule } from './convention.js';

const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'convention.ts'].includes(f) && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3));

if (!name || name.startsWith('-')) {
  console.error(`usage: npm run bench -- <name> [--quick]\nbenchmarks: ${available.join(', ')}`);
  process.exit(2);
}
if (!existsSync(new URL(`./${name}.ts`, import.meta.url))) {
  console.error(`unknown benchmark ${JSON.stringify(name)}; benchmarks: ${available.join(', ')}`);
  process.exit(2);
}

const quick = rest.includes('--quick');
const mod = (await import(`./${name}.ts`)) as BenchModule;
const started = new Date();
const result = await mod.run({ quick, args: rest, log: (l) => console.log(`  ${l}`) });
const figures = result.figures.map(withRatio);

const out = {
  name,
  figures,
  params: { ...result.params, quick },
  env: {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    startedAt: started.toISOString(),
    durationSeconds: Math.round((Date.now() - started.getTime()) / 100) / 10,
  },
};

const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : String(Math.round(n * 1000) / 1000));
const rows = figures.map((f) => [
  f.metric,
  `${fmt(f.value)} ${f.unit}`,
  f.baseline ? `${fmt(f.baseline.value)} ${f.unit} (${f.baseline.what})` : '-',
  f.ratio === null ? '-' : `${f.ratio}${f.target ? ` (target ${f.target})` : ''}`,
]);
const header = ['metric', 'value', 'baseline', 'ratio'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(`\nbench ${name}${quick ? ' (quick)' : ''}`);
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/${name}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nwrote bench/results/${name}.json`);

#!/usr/bin/env node
/**
 * `npm run build`: compiles services/ and contracts/ into dist/ with
 * tsconfig.build.json. dist/ is what bin/rewind.mjs runs, so the shipped
 * command needs no TypeScript loader. `npm ci` runs this as the prepare step.
 *
 * `--if-stale` builds only when dist/ is missing or older than its inputs
 * (`npm test` and the vitest setup use it: tests that start bin/rewind.mjs
 * must not run yesterday's build). Inputs are the build's sources, the folders
 * holding them (a deleted file changes its folder's time), the tsconfigs and
 * the package files. A build ends by touching dist/.build-stamp; tsc itself
 * rewrites nothing when no output changes, so its files cannot serve as the stamp.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STAMP = join(ROOT, 'dist', '.build-stamp');
const SOURCE_DIRS = ['services', 'contracts'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/** What tsconfig.build.json excludes, so touching it is no reason to build. */
function outsideBuild(name) {
  return name.endsWith('.test.ts') || name === 'testing' || name === '.cache' || name === 'scripts';
}

function newestInput() {
  let newest = 0;
  const visit = (dir) => {
    newest = Math.max(newest, statSync(dir).mtimeMs);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (outsideBuild(entry.name)) continue;
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) visit(join(ROOT, dir));
  for (const file of INPUT_FILES) newest = Math.max(newest, statSync(join(ROOT, file), { throwIfNoEntry: false })?.mtimeMs ?? 0);
  return newest;
}

/** True when dist/ is missing or any input changed since the last build. */
export function buildIsStale() {
  const stamp = statSync(STAMP, { throwIfNoEntry: false });
  return stamp === undefined || newestInput() > stamp.mtimeMs;
}

/** Compiles into dist/; returns tsc's exit code (its diagnostics go to stderr/stdout as they come). */
export function build() {
  const tsc = join(createRequire(import.meta.url).resolve('typescript/package.json'), '..', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status === 0) writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return result.status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !buildIsStale()) process.exit(0);
  const code = build();
  if (code !== 0) process.stderr.write('rewind build: tsc failed; bin/rewind.mjs needs dist/ (see the errors above)\n');
  process.exit(code);
}

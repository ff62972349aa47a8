#!/usr/bin/env node
// The `rewind` command. It runs the JavaScript compiled into dist/ by `npm run build`,
// which `npm ci` runs as its prepare step: no TypeScript loader at run time.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/services/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    `rewind: the build is missing (${entry.pathname} not found); run \`npm ci\` or \`npm run build\` in ${new URL('..', import.meta.url).pathname}\n`,
  );
  process.exit(2);
}
await import(entry.href);

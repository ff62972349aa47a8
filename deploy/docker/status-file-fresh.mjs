#!/usr/bin/env node
// Container healthcheck of the rewind roles that have no HTTP port (collect, archive):
// healthy while the process's status file in <dir> was rewritten in the last 30 s.
// Every capture process rewrites its status file every 1–5 s (services/archiver/process-status.ts),
// so a hung or stopped process goes stale. Exit 0 healthy, 1 not.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const maxAgeMs = Number(process.env.REWIND_HEALTH_MAX_AGE_MS ?? 30_000);
if (!dir) {
  process.stderr.write('usage: status-file-fresh.mjs <status folder>\n');
  process.exit(1);
}
let newest = 0;
try {
  for (const name of readdirSync(dir)) if (name.endsWith('.json')) newest = Math.max(newest, statSync(join(dir, name)).mtimeMs);
} catch (err) {
  process.stderr.write(`no status folder ${dir}: ${err.message}\n`);
  process.exit(1);
}
const ageMs = Date.now() - newest;
if (newest === 0 || ageMs > maxAgeMs) {
  process.stderr.write(newest === 0 ? `no status file in ${dir}\n` : `status file ${Math.round(ageMs / 1000)} s old\n`);
  process.exit(1);
}
process.exit(0);

// Tests that start bin/rewind.mjs run the compiled dist/, so a vitest run
// first brings dist/ up to date with the sources (`npm run build -- --if-stale`:
// nothing when it is fresh, an incremental tsc when not). Without this, running
// one test file after an edit would test the previous build.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILD = fileURLToPath(new URL('../../deploy/build/build-cli.mjs', import.meta.url));

/** Builds dist/ when it is missing or stale; throws with tsc's output when the build fails. */
export function ensureFreshBuild(): void {
  const result = spawnSync(process.execPath, [BUILD, '--if-stale'], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`the build of dist/ failed (bin/rewind.mjs runs it):\n${result.stdout}${result.stderr}${result.error ? String(result.error) : ''}`);
  }
}

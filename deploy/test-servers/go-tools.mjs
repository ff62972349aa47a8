// Builds the Go programs rewind's tests run (the test-servers installer calls it), each
// from a module folder of this repository, whose go.mod and go.sum pin every dependency;
// the Go module proxy serves them. A binary is cached under
//
//   <cache>/go-tools/<name>-<sha of the module's sources>/<name>
//
// and rebuilt only when its sources change. Where `go` is missing, the tool's entry records
// why, and the tests that need it are skipped with that reason.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** sha256 over the module folder's go.mod, go.sum and *.go files, in name order. */
async function sourcesSha(moduleDir) {
  const hash = createHash('sha256');
  const names = (await readdir(moduleDir)).filter((n) => n === 'go.mod' || n === 'go.sum' || n.endsWith('.go')).sort();
  for (const name of names) hash.update(name).update('\0').update(await readFile(join(moduleDir, name)));
  return hash.digest('hex');
}

/** `go version` output, or undefined when go is not on PATH. */
export async function goVersion() {
  try {
    const { stdout } = await run('go', ['version'], { timeout: 30_000 });
    return stdout.trim();
  } catch (error) {
    if (error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Builds `name` from `moduleDir` into the cache; resolves to `{ binary, sourcesSha256 }`, or to
 * `{ problem }` when Go is missing. A failed build rejects (a broken install, not a missing tool).
 */
export async function installGoTool({ name, moduleDir, cacheDir, say }) {
  const sha = await sourcesSha(moduleDir);
  const dir = join(cacheDir, 'go-tools', `${name}-${sha.slice(0, 16)}`);
  const binary = join(dir, name);
  try {
    await access(binary);
    say(`${name}: cached (${binary})`);
    return { binary, sourcesSha256: sha };
  } catch {
    // Not built yet for these sources.
  }
  const go = await goVersion();
  if (go === undefined) return { problem: `go not found on PATH, so ${name} cannot be built (install Go 1.24+, then run npm run test:servers)` };
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const begun = Date.now();
  try {
    await run('go', ['build', '-trimpath', '-o', join(partial, name), '.'], { cwd: moduleDir, timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 });
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    try {
      await access(binary); // A parallel install finished first.
      return { binary, sourcesSha256: sha };
    } catch {
      const detail = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n') || String(error);
      throw new Error(`${name}: go build failed:\n${detail}`);
    }
  }
  say(`${name}: built with ${go} in ${((Date.now() - begun) / 1000).toFixed(1)} s`);
  return { binary, sourcesSha256: sha };
}

/**
 * Messages, never stack traces: URIs and local paths are checked before the
 * archive is read, every failure prints one line (or one JSON error with
 * --json), and the exit code says usage (2) or failure (1).
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogStore } from '../archive/index.js';
import { tempDir } from '../archive/testing/samples.js';
import { runRewind } from '../../test/e2e/restore/cli-runner.js';
import { asRewindError, printError } from './print-error.js';

const bin = fileURLToPath(new URL('../../bin/rewind.mjs', import.meta.url));
const STACK = /^\s+at .+\(.+:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runRewind(args, env);

const spawnRewind = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, REWIND_ARCHIVE_DIR: '', REWIND_SOURCE_URI: '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('rewind-cli-errors-'));
  await new CatalogStore(dir).init('errors');
});
afterAll(async () => cleanup());

describe('CLI errors are messages', () => {
  it('refuses a bad --target-uri, --source-uri or REWIND_SOURCE_URI before reading the archive (a missing archive is not even opened)', async () => {
    const missingArchive = join(dir, 'no-such-archive');
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--target-uri', 'notauri'], {}, /--target-uri: expected a mongodb:\/\/ or mongodb\+srv:\/\/ URI/],
      [['--target-uri', 'mongodb://'], {}, /--target-uri: "mongodb:\/\/" is not a valid MongoDB URI/],
      [['--target-uri', 'mongodb://u:p@127.0.0.1:1,/'], {}, /--target-uri: .*empty host/],
      [[], { REWIND_SOURCE_URI: 'garbage' }, /REWIND_SOURCE_URI: expected a mongodb:\/\//],
      [['--source-uri', 'mongodb://h:1/?appname'], {}, /--source-uri: /],
    ];
    for (const [args, env, message] of cases) {
      for (const json of [false, true]) {
        const r = await run(['restore', '--archive', missingArchive, ...args, ...(json ? ['--json'] : [])], env);
        expect(r.code, `${args.join(' ')} ${r.stderr}`).toBe(2);
        if (json) {
          expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'BAD_OPTIONS', retryable: false } });
          expect((JSON.parse(r.stdout) as { error: { message: string } }).error.message).toMatch(message);
        } else {
          expect(r.stderr).toMatch(/^rewind restore: BAD_OPTIONS: /);
          expect(r.stderr).toMatch(message);
        }
        expect(r.stderr).not.toMatch(STACK);
      }
    }
    const diff = await run(['diff', '--archive', missingArchive, '--ns', 'a.b', '--json'], { REWIND_SOURCE_URI: 'garbage' });
    expect(diff.code).toBe(2);
    expect((JSON.parse(diff.stdout) as { error: { message: string } }).error.message).toMatch(/REWIND_SOURCE_URI: expected/);
  });

  it('refuses a --temp-dir that does not exist (restore and diff) and a --job-dir under a file, naming them', async () => {
    const missing = join(dir, 'no-such-temp');
    const restore = await run(['restore', '--archive', dir, '--target', 'mongodb://127.0.0.1:1', '--temp-dir', missing]);
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain(`--temp-dir ${missing} does not exist`);
    const diff = await run(['diff', '--archive', dir, '--ns', 'a.b', '--target', 'mongodb://127.0.0.1:1', '--temp-dir', missing, '--json']);
    expect(diff.code).toBe(2);
    expect(JSON.parse(diff.stdout)).toMatchObject({ error: { code: 'BAD_OPTIONS' } });
    const jobDir = await run(['restore', '--archive', dir, '--target', 'mongodb://127.0.0.1:1', '--job-dir', join(dir, 'catalog.json', 'jobs')]);
    expect(jobDir.code).toBe(2);
    expect(jobDir.stderr).toMatch(/--job-dir .* is a file/);
    const out = await run(['diff', '--archive', dir, '--ns', 'a.b', '--target', 'mongodb://127.0.0.1:1', '--out', join(dir, 'no', 'such', 'r.json')]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--out .* the folder .* does not exist/);
  });

  it('up with a bad URI stops at the configuration and leaves nothing in the archive folder', async () => {
    const { dir: archive, cleanup: done } = await tempDir('rewind-up-bad-');
    try {
      const r = await run(['up', '--source-uri', 'mongodb://u:p@127.0.0.1:1,/', '--archive', archive]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^rewind up: CONFIG_INVALID: invalid configuration: mongo\.uri: .*empty host/);
      expect(await readdir(archive)).toEqual([]);
      const under = await run(['up', '--source-uri', 'mongodb://127.0.0.1:1', '--archive', join(dir, 'catalog.json', 'x')]);
      expect(under.code).toBe(2);
      expect(under.stderr).toMatch(/invalid configuration: archive\.dir: .* is a file/);
    } finally {
      await done();
    }
  });

  it('usage errors of commander exit 2; an error no command caught is one INTERNAL line', async () => {
    expect((await run(['restore', '--no-such-flag'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['restore', '--parallel', 'x'])).code).toBe(2);
    expect((await run(['--version'])).code).toBe(0);
    expect(asRewindError(new TypeError('boom'))).toMatchObject({ code: 'INTERNAL', message: 'TypeError: boom', hint: expect.stringMatching(/report it/) as unknown, retryable: false });
    let stderr = '';
    expect(printError({ stdout: () => undefined, stderr: (t: string) => void (stderr += t), env: {} }, undefined, new RangeError('deep'), false)).toBe(1);
    expect(stderr).toMatch(/^rewind: INTERNAL: RangeError: deep\n {2}please report it/);
    expect(stderr).not.toMatch(STACK);
  });

  it('as a real process: one line on stderr, the documented exit code, no stack trace', async () => {
    const [target, env, up] = await Promise.all([
      spawnRewind(['restore', '--archive', dir, '--target-uri', 'notauri']),
      spawnRewind(['restore', '--archive', dir, '--json'], { REWIND_SOURCE_URI: 'garbage' }),
      spawnRewind(['up', '--source-uri', 'mongodb://u:p@127.0.0.1:1,/', '--archive', join(dir, 'up')]),
    ]);
    expect(target.code).toBe(2);
    expect(target.stderr).toMatch(/^rewind restore: BAD_OPTIONS: --target-uri: /);
    expect(env.code).toBe(2);
    expect(JSON.parse(env.stdout)).toMatchObject({ error: { code: 'BAD_OPTIONS' } });
    expect(up.code).toBe(2);
    for (const r of [target, env, up]) expect(r.stderr).not.toMatch(STACK);
  });
});

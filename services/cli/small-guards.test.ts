/**
 * Smaller guards of the CLI, run in process: a status file holding `null`,
 * "retrying may help" only where a retry can help, and a password with a raw
 * `@` or `/` never shown.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogStore } from '../archive/index.js';
import { tempDir } from '../archive/testing/samples.js';
import { writeProcessStatus } from '../archiver/process-status.js';
import { runRewind } from '../../test/e2e/restore/cli-runner.js';

const run = (...args: string[]) => runRewind(args, {});

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('rewind-guards-'));
  await new CatalogStore(dir).init('guards');
});
afterAll(async () => cleanup());

describe('small CLI guards', () => {
  it('status shows the other processes when one status file holds null, and names that file', async () => {
    const now = new Date().toISOString();
    await writeProcessStatus(join(dir, '.status'), { process: 'archive', pid: 4242, startedAt: now, updatedAt: now, collector: { state: 'running', source: 'mongodb://user:p@ss/w0rd@host', sourceReachable: true } });
    await writeFile(join(dir, '.status', 'up.json'), 'null');
    const human = await run('status', '--archive', dir);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('archive (pid 4242)');
    expect(human.stdout).toContain(`unreadable status file ${join(dir, '.status', 'up.json')}`);
    // A password with a raw @ and / never shows, not even in part.
    expect(human.stdout).toContain('source mongodb://***@host');
    expect(human.stdout).not.toMatch(/ss\/w0rd|w0rd/);
    const json = await run('status', '--archive', dir, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ unreadable: [{ file: join(dir, '.status', 'up.json') }] });
  });

  it('says "retrying may help" only when a retry can help: not for ENOTDIR or ENAMETOOLONG', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    for (const archive of [join(file, 'archive'), join(dir, 'n'.repeat(300))]) {
      for (const command of ['catalog', 'verify', 'status', 'history']) {
        const r = await run(command, '--archive', archive, ...(command === 'history' ? ['--ns', 'a.b', '--id', '1'] : []));
        expect(r.code, `${command} ${archive}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(/ENOTDIR|ENAMETOOLONG/);
        expect(r.stderr, command).not.toContain('retrying may help');
      }
      const json = await run('catalog', '--archive', archive, '--json');
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'ARCHIVE_IO_FAILED', retryable: false } });
    }
  });

  it('an unknown URI option is a bad option, not a failing target that a retry could fix', async () => {
    const r = await run('restore', '--archive', dir, '--target', 'mongodb://127.0.0.1:1/?foo=bar', '--json');
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'BAD_OPTIONS', retryable: false } });
    expect((JSON.parse(r.stdout) as { error: { message: string } }).error.message).toContain('option foo is not supported');
    const human = await run('diff', '--archive', dir, '--ns', 'a.b', '--target', 'mongodb://user:p@ss/w0rd@host');
    expect(human.stderr).toContain('percent-encode');
    expect(human.stderr).not.toMatch(/w0rd|ss\//);
    expect(human.stderr).not.toContain('retrying may help');
  });

  it('an up whose source URI has a raw @ and / in the password stops at the configuration, naming the rule and not the password', async () => {
    await mkdir(join(dir, 'up'), { recursive: true });
    const r = await run('up', '--mongo', 'mongodb://user:p@ss/w0rd@host', '--archive', join(dir, 'up'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mongo.uri');
    expect(r.stderr).toContain('percent-encode');
    expect(r.stderr).not.toMatch(/w0rd/);
  });
});

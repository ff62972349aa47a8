/**
 * Outputs and scratch folders never go into an archive, and scratch folders
 * are removed on every exit path: refused `--out`, `--temp-dir`, `--job-dir`
 * inside an archive (also through a link, and inside another archive), a
 * restore stopped by SIGTERM leaves no `rewind-runs-*` folder, and what a
 * SIGKILLed one left is removed by the next start.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Int32 } from '../../../contracts/bson.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { position } from '../../../contracts/index.js';
import { describeWith, uniqueDatabase } from '../../harness/index.js';
import { errorOf, runRewind } from './cli-runner.js';
import { TestArchive } from './test-archive.js';

const bin = fileURLToPath(new URL('../../../bin/rewind.mjs', import.meta.url));
const runFolders = async (dir: string) => (await readdir(dir)).filter((n) => n.startsWith('rewind-runs-'));

describeWith('wire', 'scratch folders and outputs stay out of the archive', (server) => {
  let archive: TestArchive;
  let other: TestArchive;
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'rewind-scratch-'));
    archive = await TestArchive.create();
    // Large enough that a restore runs for a while (the kill tests catch it mid-way).
    await archive.initialSnapshotFrom(position(1_767_300_000, 0, 0), 'shop.big', 40_000, (i) => ({ _id: new Int32(i), pad: 'x'.repeat(200), n: new Int32(i) }));
    other = await TestArchive.create('other-source');
  });
  afterAll(async () => {
    await archive?.remove();
    await other?.remove();
    await rm(work, { recursive: true, force: true });
  });

  it('refuses --out, --temp-dir and --job-dir inside an archive, this one or another, also through a link; the catalog is untouched', async () => {
    const catalogBefore = await readFile(join(archive.root, 'catalog.json'));
    await mkdir(join(archive.root, 'scratch'), { recursive: true });
    const link = join(work, 'link-into-archive');
    await symlink(archive.root, link);
    const into = ['--target', server.uri, '--ns-from', 'shop.*', '--ns-to', `${uniqueDatabase('inside')}.*`];
    const cases: [string[], RegExp][] = [
      [['diff', '--archive', archive.root, '--ns', 'shop.big', '--target', server.uri, '--out', join(archive.root, 'catalog.json')], /--out .*catalog\.json is inside the archive/],
      [['diff', '--archive', archive.root, '--ns', 'shop.big', '--target', server.uri, '--out', join(link, 'report.json')], /--out .* is inside the archive/],
      [['diff', '--archive', archive.root, '--ns', 'shop.big', '--target', server.uri, '--temp-dir', join(archive.root, 'scratch')], /--temp-dir .* is inside the archive/],
      [['restore', '--archive', archive.root, ...into, '--temp-dir', join(archive.root, 'scratch')], /--temp-dir .* is inside the archive/],
      [['restore', '--archive', archive.root, ...into, '--temp-dir', link], /--temp-dir .* is inside the archive/],
      [['restore', '--archive', archive.root, ...into, '--job-dir', join(other.root, 'jobs')], new RegExp(`--job-dir .* is inside the archive ${other.root}`)],
      [['restore', '--archive', archive.root, ...into, '--job-dir', join(archive.root, 'jobs')], /--job-dir .* is inside the archive/],
    ];
    for (const [args, message] of cases) {
      const r = await runRewind([...args, '--json']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(errorOf(r).code).toBe('BAD_OPTIONS');
      expect(errorOf(r).message).toMatch(message);
    }
    expect(await readFile(join(archive.root, 'catalog.json'))).toEqual(catalogBefore);
    expect(await readdir(join(archive.root, 'scratch'))).toEqual([]);
    expect((await readdir(archive.root)).filter((n) => n === 'jobs')).toEqual([]);
  });

  const startRestore = (tempDir: string, jobDir: string) =>
    spawn(process.execPath, [bin, 'restore', '--archive', archive.root, '--target', server.uri, '--ns-from', 'shop.*', '--ns-to', `${uniqueDatabase('killed')}.*`, '--temp-dir', tempDir, '--job-dir', jobDir, '--batch-size', '200'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REWIND_ARCHIVE_DIR: '', REWIND_SOURCE_URI: '' },
    });
  const whenRunFolderAppears = async (dir: string) => {
    for (let i = 0; i < 600 && (await runFolders(dir)).length === 0; i++) await sleep(25);
    expect(await runFolders(dir)).toHaveLength(1);
  };

  it('a restore stopped by SIGTERM removes its scratch folder; one SIGKILLed leaves it, and the next start removes it', async () => {
    const tempDir = await mkdtemp(join(work, 'temp-'));
    const jobDir = await mkdtemp(join(work, 'jobs-'));
    const term = startRestore(tempDir, jobDir);
    let stderr = '';
    term.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const termExit = new Promise<number | null>((r) => term.on('exit', (code) => r(code)));
    await whenRunFolderAppears(tempDir);
    term.kill('SIGTERM');
    expect(await termExit).toBe(143);
    expect(stderr).toMatch(/stopped by SIGTERM; temporary files removed/);
    expect(await runFolders(tempDir)).toEqual([]);

    const killed = startRestore(tempDir, jobDir);
    const killedExit = new Promise<NodeJS.Signals | null>((r) => killed.on('exit', (_code, signal) => r(signal)));
    await whenRunFolderAppears(tempDir);
    killed.kill('SIGKILL');
    expect(await killedExit).toBe('SIGKILL');
    const left = await runFolders(tempDir);
    expect(left).toHaveLength(1);
    // The next start beside it (a dry run here) removes what the killed run left, and its own folder at its end.
    const next = await runRewind(['restore', '--archive', archive.root, '--target', server.uri, '--ns-from', 'shop.*', '--ns-to', `${uniqueDatabase('after-kill')}.*`, '--temp-dir', tempDir, '--dry-run', '--json']);
    expect(next.code, next.stdout).toBe(0);
    expect(await runFolders(tempDir)).toEqual([]);
  });
});

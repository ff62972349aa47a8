import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../contracts/index.js';
import { CatalogStore, FsBlobStore, writeSegment, writeSnapshotNamespace } from '../archive/index.js';
import { bsonBytes, makeEvent, tempDir } from '../archive/testing/samples.js';
import { runRewind } from '../../test/e2e/restore/cli-runner.js';

const bin = fileURLToPath(new URL('../../bin/rewind.mjs', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function rewind(...args: string[]): Promise<Run> {
  return rewindWithEnv({}, ...args);
}

function rewindWithEnv(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, REWIND_ARCHIVE_DIR: '', ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
let cleanup: () => Promise<void>;
let catalog: Catalog;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('rewind-cli-'));
  const store = new FsBlobStore(dir);
  const catalogs = new CatalogStore(dir);
  await catalogs.init('cli-test');
  const snap = await writeSnapshotNamespace(
    store,
    'snap-1',
    { ns: 'shop.orders', indexes: [], options: {} },
    [1, 2, 3].map((i) => ({ key: bsonBytes({ _id: i }), document: bsonBytes({ _id: i, v: i }) })),
  );
  const seg1 = await writeSegment(store, [makeEvent(4, { increment: 4 }), makeEvent(5, { increment: 5 })]);
  const seg2 = await writeSegment(store, [makeEvent(6, { increment: 6 })]);
  catalog = await catalogs.update((c) => {
    c.snapshots.push({ id: 'snap-1', position: '1714564800.3.0', kind: 'initial-copy', namespaces: [snap], createdAt: new Date().toISOString() });
    c.segments.push(seg1, seg2);
    c.durable = '1714564800.6.0';
    c.gaps.push({ from: '1714564800.6.0', reason: 'change stream history lost', recordedAt: '2024-05-01T13:00:00.000Z' });
  });
});
afterAll(async () => cleanup());

describe('rewind (child processes through bin/rewind.mjs)', () => {
  it('--help lists the commands', async () => {
    const r = await rewind('--help');
    expect(r.code).toBe(0);
    for (const cmd of ['up', 'collect', 'archive', 'status', 'restore', 'diff', 'history', 'catalog', 'verify']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it("--version prints package.json's version", async () => {
    const r = await rewind('--version');
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('an unknown command or flag exits non-zero with a message naming it', async () => {
    const cmd = await rewind('frobnicate');
    expect(cmd.code).not.toBe(0);
    expect(cmd.stderr).toContain("unknown command 'frobnicate'");
    const top = await rewind('--frobnicate');
    expect(top.code).not.toBe(0);
    expect(top.stderr).toContain("unknown option '--frobnicate'");
    const sub = await rewind('verify', '--archive', dir, '--no-such-flag');
    expect(sub.code).not.toBe(0);
    expect(sub.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('catalog prints the window, snapshots, segments and gaps for people', async () => {
    const r = await rewind('catalog', '--archive', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('source cli-test');
    expect(r.stdout).toContain('restorable window: 2024-05-01T12:00:00.000Z (1714564800.3.0) → 2024-05-01T12:00:00.000Z (1714564800.6.0)');
    expect(r.stdout).toMatch(/snap-1\s+initial-copy/);
    expect(r.stdout).toContain('3 document(s)');
    expect(r.stdout).toContain('segments: 2 file(s), 3 event(s)');
    expect(r.stdout).toContain('change stream history lost');
  });

  it('catalog --json gives the summary for machines', async () => {
    const r = await rewind('catalog', '--archive', dir, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { generation: number; window: { earliest: { position: string }; latest: { position: string } }; segments: { count: number; events: number } };
    expect(s.generation).toBe(catalog.generation);
    expect([s.window.earliest.position, s.window.latest.position]).toEqual(['1714564800.3.0', '1714564800.6.0']);
    expect(s.segments).toMatchObject({ count: 2, events: 3 });
  });

  it('every archive-reading command takes the folder from REWIND_ARCHIVE_DIR, the name `up` uses', async () => {
    for (const cmd of ['catalog', 'verify', 'status']) {
      const r = await rewindWithEnv({ REWIND_ARCHIVE_DIR: dir }, cmd, '--json');
      // The archive has an open gap: status reads it and says CRIT (exit 4).
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(cmd === 'status' ? 4 : 0);
    }
    const missing = await rewind('history', '--ns', 'shop.orders', '--id', '1');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/REWIND_ARCHIVE_DIR/);
    const history = await rewindWithEnv({ REWIND_ARCHIVE_DIR: dir }, 'history', '--ns', 'shop.orders', '--id', '1', '--json');
    expect(history.code, history.stderr).toBe(0);
  });

  it('catalog without a catalog fails naming the file', async () => {
    const empty = await tempDir('rewind-cli-empty-');
    try {
      const r = await rewind('catalog', '--archive', empty.dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('CATALOG_NOT_FOUND');
      expect(r.stderr).toContain(`${empty.dir}/catalog.json`);
      const j = await rewind('catalog', '--archive', empty.dir, '--json');
      expect(j.code).toBe(1);
      expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'CATALOG_NOT_FOUND' } });
    } finally {
      await empty.cleanup();
    }
  });

  it('verify passes a sound archive, then finds a corrupted and a missing file and names them (exit 3)', async () => {
    const ok = await rewind('verify', '--archive', dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('verified 3 file(s)');
    expect(ok.stdout).toContain('0 bad or missing');

    // On a copy: the damage becomes gaps in its catalog, which the other tests' archive must not get.
    const copy = await tempDir('rewind-cli-damaged-');
    try {
      await cp(dir, copy.dir, { recursive: true });
      const seg = catalog.segments[0]?.file.path as string;
      const snapFile = catalog.snapshots[0]?.namespaces[0]?.files[0]?.path as string;
      const segBytes = await readFile(`${copy.dir}/${seg}`);
      const damaged = Buffer.from(segBytes);
      damaged[Math.floor(damaged.length / 2)] = (damaged[Math.floor(damaged.length / 2)] as number) ^ 0xff;
      await writeFile(`${copy.dir}/${seg}`, damaged);
      await new FsBlobStore(copy.dir).delete(snapFile);

      const bad = await rewind('verify', '--archive', copy.dir);
      expect(bad.code).toBe(3);
      expect(bad.stderr).toMatch(/^rewind verify: VERIFY_DAMAGE_FOUND: 2 bad or missing file\(s\)/m);
      expect(bad.stdout).toContain('2 bad or missing');
      expect(bad.stdout).toMatch(new RegExp(`BAD ${seg} \\(segment [^)]+\\): ARCHIVE_CHECKSUM_MISMATCH`));
      expect(bad.stdout).toMatch(new RegExp(`BAD ${snapFile} \\(snapshot snap-1 shop.orders\\): ARCHIVE_FILE_MISSING`));

      const j = await rewind('verify', '--archive', copy.dir, '--json');
      expect(j.code).toBe(3);
      const report = JSON.parse(j.stdout) as { files: number; ok: number; problems: { path: string; code: string }[]; gapsAdded: unknown[] };
      expect(report).toMatchObject({ files: 3, ok: 1 });
      // The first run added the gaps; the second finds them there already.
      expect(report.gapsAdded).toEqual([]);
      expect(report.problems.map((p) => [p.path, p.code]).sort()).toEqual(
        [
          [seg, 'ARCHIVE_CHECKSUM_MISMATCH'],
          [snapFile, 'ARCHIVE_FILE_MISSING'],
        ].sort(),
      );
    } finally {
      await copy.cleanup();
    }
  });
});

describe('rewind verify and the catalog checksum (in process)', () => {
  const run = (...args: string[]) => runRewind(args, {});

  it('reports the catalog matching its checksum, and refuses a catalog whose durable position was edited', async () => {
    const ok = await run('verify', '--archive', dir, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ catalog: { generation: catalog.generation, checksum: 'verified' } });
    expect((await run('verify', '--archive', dir)).stdout).toContain(`catalog generation ${catalog.generation}: matches its checksum`);
    const file = `${dir}/catalog.json`;
    const text = await readFile(file, 'utf8');
    try {
      // 15 minutes past the captured data: restore would have accepted targets in that invented range.
      await writeFile(file, text.replace('"durable": "1714564800.6.0"', '"durable": "1714565700.6.0"'));
      const bad = await run('verify', '--archive', dir);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('CATALOG_CHECKSUM_MISMATCH');
      expect(bad.stderr).toContain('changed outside rewind');
      const cat = await run('catalog', '--archive', dir, '--json');
      expect(cat.code).toBe(1);
      expect(JSON.parse(cat.stdout)).toMatchObject({ error: { code: 'CATALOG_CHECKSUM_MISMATCH', retryable: false } });
      const restore = await run('restore', '--archive', dir, '--target', 'mongodb://127.0.0.1:1', '--to-position', '1714565000.1', '--json');
      expect(restore.code).toBe(1);
      // The archive's own code and flag reach the user (no vaguer ARCHIVE_UNREADABLE in between).
      expect(JSON.parse(restore.stdout)).toMatchObject({ error: { code: 'CATALOG_CHECKSUM_MISMATCH', retryable: false, context: { generation: catalog.generation } } });
    } finally {
      await writeFile(file, text);
    }
  });
});

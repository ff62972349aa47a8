import { createHash } from 'node:crypto';
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore, checkArchivePath, decodeNameFromPath, encodeNameForPath, verifyFile } from './index.js';
import { tempDir } from './testing/samples.js';

let dir: string;
let cleanup: () => Promise<void>;
let store: FsBlobStore;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  store = new FsBlobStore(dir);
});
afterEach(async () => cleanup());

describe('FsBlobStore', () => {
  it('puts a stream atomically and reports its sha256 and length', async () => {
    const parts = [Buffer.from('hello '), Buffer.from('world')];
    const ref = await store.put('a/b/c.bin', Readable.from(parts));
    expect(ref).toEqual({
      path: 'a/b/c.bin',
      sha256: createHash('sha256').update('hello world').digest('hex'),
      bytes: 11,
    });
    expect(await store.stat('a/b/c.bin')).toEqual({ bytes: 11 });
    expect(await store.exists('a/b/c.bin')).toBe(true);
    const chunks: Buffer[] = [];
    for await (const c of await store.openRead('a/b/c.bin')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello world');
    // No temp file is left beside it.
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['c.bin']);
  });

  it('a failing source leaves neither the target nor a temp file', async () => {
    async function* failing() {
      yield Buffer.from('partial');
      await sleep(1);
      throw new Error('source broke');
    }
    await expect(store.put('x/y.bin', failing())).rejects.toMatchObject({ code: 'ARCHIVE_IO_FAILED', retryable: true });
    expect(await readdir(join(dir, 'x'))).toEqual([]);
    expect(await store.exists('x/y.bin')).toBe(false);
  });

  it('replacing keeps readers on the whole old or whole new content', async () => {
    await store.put('f.bin', Buffer.from('old'));
    const ref = await store.put('f.bin', Buffer.from('new content'));
    expect(ref.bytes).toBe(11);
    await expect(verifyFile(store, ref)).resolves.toBeUndefined();
  });

  it('lists by prefix, sorted, ignoring temp files; delete is idempotent', async () => {
    await store.put('segments/b.avro', Buffer.from('b'));
    await store.put('segments/a.avro', Buffer.from('a'));
    await store.put('snapshots/s1/db/c-00000.avro', Buffer.from('c'));
    await writeFile(join(dir, 'segments', '.a.avro.123.tmp'), 'half');
    expect(await store.list('segments/')).toEqual(['segments/a.avro', 'segments/b.avro']);
    expect(await store.list('segments/a')).toEqual(['segments/a.avro']);
    expect(await store.list()).toEqual(['segments/a.avro', 'segments/b.avro', 'snapshots/s1/db/c-00000.avro']);
    expect(await store.list('nothing/')).toEqual([]);
    await store.delete('segments/a.avro');
    await store.delete('segments/a.avro');
    expect(await store.list('segments/')).toEqual(['segments/b.avro']);
    expect(await store.stat('segments/a.avro')).toBeNull();
  });

  it('a missing file is ARCHIVE_FILE_MISSING naming it', async () => {
    const err = await store.openRead('segments/none.avro').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ARCHIVE_FILE_MISSING', context: { path: 'segments/none.avro' } });
    expect((err as Error).message).toContain(join(dir, 'segments', 'none.avro'));
  });

  it('refuses paths that could leave the archive', async () => {
    for (const bad of ['', '../x', 'a/../../x', '/etc/passwd', 'a//b', './a', 'a/.', 'a\\b', 'C:/x', 'a\0b']) {
      expect(() => checkArchivePath(bad), bad).toThrow(expect.objectContaining({ code: 'ARCHIVE_INVALID_PATH' }) as Error);
      await expect(store.put(bad, Buffer.from('x'))).rejects.toMatchObject({ code: 'ARCHIVE_INVALID_PATH' });
    }
    await mkdir(join(dir, 'ok'));
    expect(checkArchivePath('ok/a..b/c.avro')).toBe('ok/a..b/c.avro');
  });
});

describe('namespace names in file names', () => {
  it('round-trips any name and keeps only safe characters', () => {
    for (const name of ['orders', 'Orders', 'a.b.c', 'we/ird\\name', 'sp ace', '%25', 'ünï☃😀', 'x'.repeat(60), '-', '_']) {
      const enc = encodeNameForPath(name);
      expect(enc).toMatch(/^([a-z0-9_-]|%[0-9A-F]{2})+$/);
      expect(decodeNameFromPath(enc)).toBe(name);
    }
    expect(encodeNameForPath('Orders')).not.toBe(encodeNameForPath('orders'));
  });

  it('shortens very long names with a hash so they stay distinct and fit a file name', () => {
    const a = encodeNameForPath('☃'.repeat(100));
    const b = encodeNameForPath(`${'☃'.repeat(99)}x`);
    expect(a.length).toBeLessThanOrEqual(200);
    expect(a).not.toBe(b);
    expect(() => decodeNameFromPath(a)).toThrow(/shortened/);
  });
});

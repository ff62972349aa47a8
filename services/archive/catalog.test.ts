import { spawn } from 'node:child_process';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalogSchema, formatPosition, parsePosition } from '../../contracts/index.js';
import type { Catalog, SegmentEntry } from '../../contracts/index.js';
import { CATALOG_LOCK_FILE, CatalogStore, restorableWindow, segmentsOverlapping } from './index.js';
import { tempDir } from './testing/samples.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('rewind-catalog-'));
});
afterEach(async () => cleanup());

const segment = (n: number, first: string, last: string): SegmentEntry => ({
  id: `seg-${n}`,
  file: { path: `segments/seg-${n}.avro`, sha256: 'a'.repeat(64), bytes: 10 },
  first,
  last,
  count: 1,
  codec: 'deflate',
  namespaces: { 'shop.orders': 1 },
  createdAt: '2024-05-01T12:00:00.000Z',
});

describe('CatalogStore', () => {
  it('init creates generation 0, is idempotent for the same source, and refuses another source', async () => {
    const store = new CatalogStore(join(dir, 'archive'));
    await expect(store.read()).rejects.toMatchObject({ code: 'CATALOG_NOT_FOUND' });
    const c = await store.init('src-a');
    expect(c).toMatchObject({ sourceId: 'src-a', generation: 0, segments: [], snapshots: [] });
    expect(await store.init('src-a')).toEqual(c);
    const err = await store.init('src-b').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CATALOG_CONFLICT' });
    expect((err as Error).message).toContain(join(dir, 'archive', 'catalog.json'));
  });

  it('update commits atomically with generation + 1 and keeps the previous catalog', async () => {
    const store = new CatalogStore(dir);
    await store.init('src');
    const next = await store.update((c) => {
      c.segments.push(segment(1, '1.1.0', '1.5.0'));
    });
    expect(next.generation).toBe(1);
    expect(await store.read()).toEqual(next);
    expect((await store.readPrevious()).generation).toBe(0);
    const third = await store.update((c) => ({ ...c, durable: '1.5.0' }));
    expect(third).toMatchObject({ generation: 2, durable: '1.5.0' });
    expect((await store.readPrevious()).generation).toBe(1);
  });

  it('an invalid update is refused, names the field, and writes nothing', async () => {
    const store = new CatalogStore(dir);
    await store.init('src');
    const before = await readFile(join(dir, 'catalog.json'), 'utf8');
    const err = await store
      .update((c) => {
        c.segments.push({ ...segment(1, '1.1.0', '1.2.0'), file: { path: 'x', sha256: 'nope', bytes: 1 } });
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CATALOG_INVALID', context: { field: 'segments.0.file.sha256' } });
    expect(await readFile(join(dir, 'catalog.json'), 'utf8')).toBe(before);
    // A failing update function leaves the store usable.
    await expect(store.update(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await store.update(() => undefined)).generation).toBe(1);
  });

  it('a corrupt or invalid catalog file is CATALOG_INVALID naming the file and the field', async () => {
    const store = new CatalogStore(dir);
    const c = await store.init('src');
    await writeFile(join(dir, 'catalog.json'), '{"formatVersion": 1, "sourceId": ');
    const e1 = await store.read().catch((e: unknown) => e);
    expect(e1).toMatchObject({ code: 'CATALOG_INVALID', context: { path: 'catalog.json' } });
    expect((e1 as Error).message).toContain(join(dir, 'catalog.json'));
    await writeFile(join(dir, 'catalog.json'), JSON.stringify({ ...c, durable: '1.2' }));
    const e2 = await store.read().catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: 'CATALOG_INVALID', context: { field: 'durable' } });
    expect((e2 as Error).message).toContain('durable');
    await writeFile(join(dir, 'catalog.json'), JSON.stringify({ ...c, extra: 1 }));
    await expect(store.read()).rejects.toMatchObject({ code: 'CATALOG_INVALID' });
    // Updates refuse to build on a damaged catalog.
    await expect(store.update(() => undefined)).rejects.toMatchObject({ code: 'CATALOG_INVALID' });
  });

  it('serializes concurrent updates inside one process: none is lost', async () => {
    const store = new CatalogStore(dir);
    await store.init('src');
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        store.update(async (c) => {
          await sleep(Math.random() * 3);
          c.gaps.push({ from: `${i + 1}.0.0`, reason: `gap ${i}`, recordedAt: '2024-05-01T12:00:00.000Z' });
        }),
      ),
    );
    const c = await store.read();
    expect(c.generation).toBe(25);
    expect(c.gaps.map((g) => g.reason).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `gap ${i}`).sort());
  });

  it('refuses a concurrent writer in another process, and takes over the lock of a dead one', async () => {
    const store = new CatalogStore(dir, { lockWaitMs: 200 });
    await store.init('src');
    // A live holder: this very process's parent shell is alive, use our own parent pid.
    await writeFile(join(dir, CATALOG_LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), nonce: 'n1' }));
    const err = await store.update(() => undefined).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CATALOG_LOCKED', retryable: true, context: { holderPid: process.ppid } });
    // A dead holder: a process that has exited.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    await writeFile(join(dir, CATALOG_LOCK_FILE), JSON.stringify({ pid: dead.pid, host: hostname(), nonce: 'n2' }));
    expect((await store.update(() => undefined)).generation).toBe(1);
    // The lock is released after the update.
    await expect(readFile(join(dir, CATALOG_LOCK_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('acquire holds the lock across updates until release', async () => {
    const a = new CatalogStore(dir);
    const b = new CatalogStore(dir, { lockWaitMs: 100 });
    await a.init('src');
    await a.acquire();
    await a.update(() => undefined);
    const lock = JSON.parse(await readFile(join(dir, CATALOG_LOCK_FILE), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(process.pid);
    // Another store, even in the same process, waits for the lock file and gives up.
    await expect(b.update(() => undefined)).rejects.toMatchObject({ code: 'CATALOG_LOCKED' });
    await a.release();
    expect((await b.update(() => undefined)).generation).toBe(2);
  });
});

describe('a crash in the middle of a catalog update leaves a readable catalog', () => {
  const child = fileURLToPath(new URL('./testing/catalog-update-loop.ts', import.meta.url));

  it('SIGKILL at random moments, several times: the catalog always reads and validates, generation never goes back', async () => {
    let lastGeneration = -1;
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | number | null>((r) => proc.on('exit', (code, signal) => r(signal ?? code)));
      await new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) resolve();
        });
        proc.on('exit', () => reject(new Error(`child exited before ready: ${stderr}`)));
      });
      await sleep(20 + Math.random() * 250);
      proc.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const store = new CatalogStore(dir);
      // Every state a kill leaves reads back and matches the checksum of its generation.
      const { catalog, integrity } = await store.readChecked();
      expect(integrity).toBe('verified');
      expect(catalogSchema.safeParse(catalog).success).toBe(true);
      expect(catalog.generation).toBeGreaterThan(lastGeneration);
      expect(catalog.segments).toHaveLength(catalog.generation);
      lastGeneration = catalog.generation;
    }
    // Each new child had to take over the lock its killed predecessor may have left.
    expect(lastGeneration).toBeGreaterThan(rounds);
    // The next update clears temp files that killed writes left behind.
    await new CatalogStore(dir).update(() => undefined);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['catalog.json', 'catalog.prev.json', 'catalog.sums.json']);
  });
});

describe('the catalog checksum', () => {
  it('refuses a catalog changed outside rewind (a durable position with other digits), in read and update', async () => {
    const store = new CatalogStore(dir);
    await store.init('src');
    await store.update((c) => void (c.durable = '1714564800.6.0'));
    const file = join(dir, 'catalog.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('1714564800.6.0', '1714565700.6.0'));
    const err = await store.read().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CATALOG_CHECKSUM_MISMATCH', retryable: false, context: { path: 'catalog.json', generation: 1 } });
    expect((err as Error).message).toContain(`${file}: sha256 is`);
    expect((err as Error).message).toContain('changed outside rewind');
    await expect(store.update(() => undefined)).rejects.toMatchObject({ code: 'CATALOG_CHECKSUM_MISMATCH' });
    // A changed generation number has no sum at all.
    await writeFile(file, text.replace('"generation": 1', '"generation": 7'));
    await expect(store.read()).rejects.toMatchObject({ code: 'CATALOG_CHECKSUM_MISMATCH', context: { expected: null } });
    // Put back byte for byte, it reads again.
    await writeFile(file, text);
    expect((await store.readChecked()).integrity).toBe('verified');
    expect((await store.readPrevious()).generation).toBe(0);
  });

  it('reads every state between the three writes of an update: sums written, catalog not yet', async () => {
    const store = new CatalogStore(dir);
    await store.init('src');
    await store.update(() => undefined);
    const sums = JSON.parse(await readFile(join(dir, 'catalog.sums.json'), 'utf8')) as { generations: Record<string, string> };
    expect(Object.keys(sums.generations).sort()).toEqual(['0', '1']);
    // A crash after the sums of generations 1 and 2 were written, before catalog.json became 2.
    const cut = { version: 1, generations: { '1': sums.generations['1'], '2': 'f'.repeat(64) } };
    await writeFile(join(dir, 'catalog.sums.json'), JSON.stringify(cut));
    expect((await store.readChecked()).catalog.generation).toBe(1);
    expect((await store.update(() => undefined)).generation).toBe(2);
    expect((await store.readChecked()).integrity).toBe('verified');
  });

  it('an archive written before checksums reads as before, and its next update adds them', async () => {
    const store = new CatalogStore(dir);
    await store.init('src');
    await rm(join(dir, 'catalog.sums.json'));
    expect((await store.readChecked()).integrity).toBe('no-checksum');
    await store.update(() => undefined);
    expect((await store.readChecked()).integrity).toBe('verified');
  });

  it('an unreadable sums file is CATALOG_INVALID naming it', async () => {
    const store = new CatalogStore(dir);
    await store.init('src');
    await writeFile(join(dir, 'catalog.sums.json'), 'garbage');
    await expect(store.read()).rejects.toMatchObject({ code: 'CATALOG_INVALID', context: { path: 'catalog.sums.json' } });
  });
});

describe('catalog queries', () => {
  const base = (over: Partial<Catalog>): Catalog => ({
    formatVersion: 1,
    sourceId: 's',
    generation: 1,
    updatedAt: '2024-05-01T12:00:00.000Z',
    snapshots: [],
    segments: [],
    collections: [],
    gaps: [],
    ...over,
  });
  const snap = (id: string, position: string) => ({
    id,
    position,
    kind: 'compaction' as const,
    namespaces: [],
    createdAt: '2024-05-01T12:00:00.000Z',
  });

  it('restorableWindow: none without a snapshot; oldest snapshot to durable otherwise', () => {
    expect(restorableWindow(base({ durable: '5.0.0' }))).toBeNull();
    const w = restorableWindow(base({ snapshots: [snap('b', '20.1.0'), snap('a', '10.3.0')], durable: '30.2.1' }));
    expect(w && [formatPosition(w.earliest), formatPosition(w.latest)]).toEqual(['10.3.0', '30.2.1']);
    const noDurable = restorableWindow(base({ snapshots: [snap('a', '10.3.0')] }));
    expect(noDurable && formatPosition(noDurable.latest)).toBe('10.3.0');
  });

  it('segmentsOverlapping: the segments holding any event in the range, in order', () => {
    const c = base({ segments: [segment(3, '30.0.0', '39.0.0'), segment(1, '10.0.0', '19.0.0'), segment(2, '20.0.0', '29.5.2')] });
    const ids = (from: string, to: string) => segmentsOverlapping(c, parsePosition(from), parsePosition(to)).map((s) => s.id);
    expect(ids('0.0.0', '9.9.9')).toEqual([]);
    expect(ids('19.0.0', '20.0.0')).toEqual(['seg-1', 'seg-2']);
    expect(ids('29.5.2', '29.5.2')).toEqual(['seg-2']);
    expect(ids('29.5.3', '29.9.0')).toEqual([]);
    expect(ids('0.0.0', '100.0.0')).toEqual(['seg-1', 'seg-2', 'seg-3']);
  });
});

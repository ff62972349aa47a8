import { readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentBootId, currentOwner, ownerLiveness, processStartTicks } from '../../contracts/process-owner.js';
import { CATALOG_LOCK_FILE, CatalogStore } from './index.js';
import { tempDir } from './testing/samples.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('rewind-lock-'));
});
afterEach(async () => cleanup());

const lockFile = () => join(dir, CATALOG_LOCK_FILE);
const writeLock = (content: Record<string, unknown>) => writeFile(lockFile(), JSON.stringify({ nonce: 'n1', ...content }));
const otherTicks = (pid: number) => String(Number(processStartTicks(pid) ?? '0') + 12_345);
const linux = processStartTicks(process.pid) !== undefined;

describe('whether a lock owner can still be running', () => {
  const here = { pid: 10, host: 'h', bootId: 'boot-a', startTicks: '500' };
  const probe = (alive: Record<number, string>) => ({ exists: (pid: number) => pid in alive, startTicks: (pid: number) => alive[pid] });

  it('looks at the pid, its start time, the boot and the host', () => {
    const running = probe({ 1: '100' });
    expect(ownerLiveness({ pid: 1, host: 'h', bootId: 'boot-a', startTicks: '100' }, here, running)).toBe('alive');
    // pid 1 of a restarted container: alive, but started at another time.
    expect(ownerLiveness({ pid: 1, host: 'h', bootId: 'boot-a', startTicks: '99' }, here, running)).toBe('gone');
    expect(ownerLiveness({ pid: 2, host: 'h', bootId: 'boot-a', startTicks: '100' }, here, running)).toBe('gone');
    // Rebooted since: every process of that boot is gone, whatever the pid.
    expect(ownerLiveness({ pid: 1, host: 'h', bootId: 'boot-b', startTicks: '100' }, here, running)).toBe('gone');
    expect(ownerLiveness({ pid: 1, host: 'other', bootId: 'boot-a', startTicks: '100' }, here, running)).toBe('unknown');
    // An old lock without start time: the pid is all there is.
    expect(ownerLiveness({ pid: 1, host: 'h' }, here, running)).toBe('alive');
    expect(ownerLiveness({ pid: 0, host: 'h' }, here, running)).toBe('gone');
  });
});

describe('the catalog writer lock', () => {
  it.runIf(linux)('takes over the lock of a pid that is alive but started at another time (pid 1 of a restarted container, or our own pid reused)', async () => {
    const store = new CatalogStore(dir, { lockWaitMs: 200 });
    await store.init('src');
    for (const pid of [1, process.pid]) {
      await writeLock({ pid, host: hostname(), bootId: currentBootId(), startTicks: otherTicks(pid) });
      expect((await store.update(() => undefined)).generation).toBeGreaterThan(0);
      await expect(readFile(lockFile())).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  it.runIf(linux)('takes over a lock of an earlier boot of this host', async () => {
    const store = new CatalogStore(dir, { lockWaitMs: 200 });
    await store.init('src');
    await writeLock({ pid: 1, host: hostname(), bootId: '00000000-0000-0000-0000-000000000000', startTicks: processStartTicks(1) });
    expect((await store.update(() => undefined)).generation).toBe(1);
  });

  it('refuses a lock whose holder runs (same pid, same start time), retryable', async () => {
    const store = new CatalogStore(dir, { lockWaitMs: 100 });
    await store.init('src');
    await writeLock({ pid: process.ppid, host: hostname(), ...(linux ? { bootId: currentBootId(), startTicks: processStartTicks(process.ppid) } : {}) });
    const err = await store.update(() => undefined).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CATALOG_LOCKED', retryable: true });
    expect((err as Error).message).toMatch(/it is running/);
  });

  it('never takes a lock of another host, and says how to clear it instead of "retrying may help"', async () => {
    const store = new CatalogStore(dir, { lockWaitMs: 5_000 });
    await store.init('src');
    await writeLock({ pid: 1, host: 'some-other-host', bootId: 'x', startTicks: '1' });
    const started = Date.now();
    const err = await store.update(() => undefined).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CATALOG_LOCKED', retryable: false, context: { holderHost: 'some-other-host' } });
    expect((err as Error).message).toContain(`remove ${lockFile()}`);
    // Not retryable: no waiting out lockWaitMs.
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('writes its owner with boot id and start time into the lock', async () => {
    const store = new CatalogStore(dir);
    await store.init('src');
    await store.acquire();
    const lock = JSON.parse(await readFile(lockFile(), 'utf8')) as Record<string, unknown>;
    expect(lock).toMatchObject({ pid: process.pid, host: hostname(), ...(linux ? { bootId: currentOwner().bootId, startTicks: currentOwner().startTicks } : {}) });
    await store.release();
  });

  it.runIf(linux)('removes temp files of would-be holders that are gone or too old to be in use', async () => {
    const store = new CatalogStore(dir);
    await store.init('src');
    const reused = `.${CATALOG_LOCK_FILE}.1.aaaa.tmp`;
    await writeFile(join(dir, reused), JSON.stringify({ pid: 1, host: hostname(), bootId: currentBootId(), startTicks: otherTicks(1), nonce: 'aaaa' }));
    const old = `.${CATALOG_LOCK_FILE}.${process.pid}.bbbb.tmp`;
    await writeFile(join(dir, old), '{"pid":'); // cut short by a kill
    const past = new Date(Date.now() - 5 * 60_000);
    await utimes(join(dir, old), past, past);
    const fresh = `.${CATALOG_LOCK_FILE}.${process.pid}.cccc.tmp`;
    await writeFile(join(dir, fresh), JSON.stringify({ ...currentOwner(), nonce: 'cccc' }));
    await store.update(() => undefined);
    const left = (await readdir(dir)).filter((n) => n.endsWith('.tmp'));
    expect(left).toEqual([fresh]);
  });
});

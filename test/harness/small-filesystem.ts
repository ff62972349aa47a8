/**
 * A small filesystem a test makes itself (the fault suite's archive, the
 * archive's disk-full tests), so that running out of space is real ENOSPC
 * from the kernel, not a simulated error: a tmpfs of a fixed size mounted on
 * a fresh folder (root only). Filling it is a plain file written until only
 * the requested bytes are left; freeing it deletes that file. Where the mount cannot be made (not Linux, not root, no mount
 * permission in a container) `makeSmallFilesystem` says why, and the tests
 * that need it are skipped with that reason.
 */
import { execFile, execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, rm, statfs, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isAlive } from './server-process.js';

const run = promisify(execFile);
const CHUNK = 256 * 1024;
const PREFIX = 'rewind-faults-fs-';
const OWNER_FILE = 'owner.pid';
const mountedHere = new Set<string>();
let exitHandler = false;

/** Unmounts what runs that died without cleaning up left mounted (their owner process is gone). */
async function sweepAbandonedMounts(): Promise<void> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  for (const name of (await readdir(tmpdir()).catch(() => [] as string[])).filter((n) => n.startsWith(PREFIX))) {
    const dir = join(tmpdir(), name);
    const owner = Number(await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => 'NaN'));
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) continue;
    if (mounts.includes(` ${dir} `)) await run('umount', ['-l', dir], { timeout: 10_000 }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A run that ends without its afterAll (an error, a signal vitest handles) still unmounts. */
function unmountOnExit(root: string): void {
  mountedHere.add(root);
  if (exitHandler) return;
  exitHandler = true;
  process.on('exit', () => {
    for (const dir of mountedHere) {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore', timeout: 10_000 });
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // the sweep of the next run removes it
      }
    }
  });
}

export interface MountedFilesystem {
  readonly ok: true;
  /** The mount point; put the files under test in a folder below it. */
  readonly root: string;
  readonly sizeBytes: number;
  /** Bytes a non-root writer could still write. */
  available(): Promise<number>;
  /** Writes a filler file until at most `leaveBytes` are available; returns the filler's size. */
  fill(leaveBytes: number): Promise<number>;
  /** Deletes the filler. */
  free(): Promise<void>;
  /** Unmounts and removes the mount point; safe to call twice. */
  remove(): Promise<void>;
}

export type SmallFilesystem = MountedFilesystem | { readonly ok: false; readonly reason: string };

export async function makeSmallFilesystem(sizeBytes: number): Promise<SmallFilesystem> {
  if (process.platform !== 'linux') return { ok: false, reason: `a tmpfs mount needs Linux (this is ${process.platform})` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `mounting a small tmpfs needs root (running as uid ${uid ?? 'unknown'})` };
  await sweepAbandonedMounts();
  const root = await mkdtemp(join(tmpdir(), PREFIX));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', root], { timeout: 10_000 });
    unmountOnExit(root);
    await writeFile(join(root, OWNER_FILE), String(process.pid));
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    const e = err as { stderr?: string; message?: string };
    return { ok: false, reason: `mount -t tmpfs failed: ${(e.stderr || e.message || String(err)).trim()}` };
  }
  const filler = join(root, 'filler');
  let mounted = true;
  const available = async () => {
    const s = await statfs(root);
    return s.bavail * s.bsize;
  };
  return {
    ok: true,
    root,
    sizeBytes,
    available,
    async fill(leaveBytes) {
      await mkdir(root, { recursive: true });
      const fh = await open(filler, 'a');
      const chunk = Buffer.alloc(CHUNK, 0x5a);
      let written = (await fh.stat()).size;
      try {
        for (;;) {
          const room = (await available()) - leaveBytes;
          if (room <= 0) break;
          try {
            const { bytesWritten } = await fh.write(chunk, 0, Math.min(CHUNK, room));
            written += bytesWritten;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
      } finally {
        await fh.close();
      }
      return written;
    },
    async free() {
      await unlink(filler).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
    async remove() {
      if (mounted) {
        // Lazy as a fallback: a process the suite could not end must not keep the mount (and its memory).
        await run('umount', [root], { timeout: 10_000 }).catch(() => run('umount', ['-l', root], { timeout: 10_000 }));
        mounted = false;
        mountedHere.delete(root);
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

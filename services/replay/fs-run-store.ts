/**
 * Compaction runs in a temporary folder: the only file code of the replay
 * room, kept behind the RunStore port. Each run is one file of
 * length-prefixed records, written in large chunks and read back as a stream.
 *
 * The folder is named after its owner (`rewind-runs-p<pid>s<start ticks>-…`)
 * and removed on every exit path: dispose(), and the process's exit for a
 * store still open then (process.exit after a signal). What a killed process
 * left is removed by the next store created beside it, once its owner is
 * gone (contracts/process-owner.ts); folders of older versions, which carry
 * no owner, once untouched for a day.
 */
import { createReadStream, rmSync } from 'node:fs';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentOwner, ownerLiveness } from '../../contracts/process-owner.js';
import { ReplayError } from './errors.js';
import type { RunStore } from './run-store.js';

const CHUNK = 1 << 20;
const PREFIX = 'rewind-runs-';
const OWNED = /^rewind-runs-p(\d+)s(\d*)-[A-Za-z0-9]{6}$/;
const UNOWNED = /^rewind-runs-[A-Za-z0-9]{6}$/;
const UNOWNED_MAX_AGE_MS = 24 * 3600_000;

/** Folders of this process's open stores, removed at exit if still there. */
const open_ = new Set<string>();
let exitHook = false;
function track(dir: string): void {
  open_.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const d of open_) rmSync(d, { recursive: true, force: true });
  });
}

/** Removes the run folders under `parent` that killed processes left; returns their names. */
export async function removeAbandonedRunFolders(parent: string, nowMs = Date.now()): Promise<string[]> {
  const here = currentOwner();
  const names = await readdir(parent).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const owned = OWNED.exec(name);
    let abandoned = false;
    if (owned) {
      const owner = { pid: Number(owned[1]), host: here.host, ...(owned[2] ? { startTicks: owned[2] } : {}) };
      abandoned = owner.pid !== here.pid && ownerLiveness(owner, here) === 'gone';
    } else if (UNOWNED.test(name)) {
      const info = await stat(join(parent, name)).catch(() => null);
      abandoned = info !== null && info.isDirectory() && nowMs - info.mtimeMs > UNOWNED_MAX_AGE_MS;
    }
    if (!abandoned) continue;
    await rm(join(parent, name), { recursive: true, force: true }).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

export class FsRunStore implements RunStore {
  private next = 0;

  private constructor(readonly dir: string, private readonly readBufferBytes: number) {}

  /** Creates a fresh folder under `parent` (default: the OS temp folder), after removing what killed runs left there. */
  static async create(options: { parent?: string; readBufferBytes?: number } = {}): Promise<FsRunStore> {
    const parent = options.parent ?? tmpdir();
    await removeAbandonedRunFolders(parent);
    const me = currentOwner();
    let dir: string;
    try {
      dir = await mkdtemp(join(parent, `${PREFIX}p${me.pid}s${me.startTicks ?? ''}-`));
    } catch (cause) {
      throw new ReplayError('REPLAY_RUN_IO', `cannot create a folder for sorted runs in ${parent}: ${(cause as Error).message}`, { cause, context: { parent } });
    }
    track(dir);
    return new FsRunStore(dir, options.readBufferBytes ?? 256 * 1024);
  }

  private path(id: string): string {
    if (!/^run-\d+$/.test(id)) throw new ReplayError('REPLAY_RUN_IO', `not a run id: ${id}`, { context: { id } });
    return join(this.dir, `${id}.bin`);
  }

  async write(records: readonly Buffer[]): Promise<string> {
    const id = `run-${this.next++}`;
    const file = this.path(id);
    try {
      const fh = await open(file, 'wx');
      try {
        let parts: Buffer[] = [];
        let size = 0;
        for (const r of records) {
          const len = Buffer.allocUnsafe(4);
          len.writeUInt32LE(r.length, 0);
          parts.push(len, r);
          size += 4 + r.length;
          if (size >= CHUNK) {
            await fh.write(Buffer.concat(parts, size));
            parts = [];
            size = 0;
          }
        }
        if (size > 0) await fh.write(Buffer.concat(parts, size));
      } finally {
        await fh.close();
      }
    } catch (cause) {
      throw new ReplayError('REPLAY_RUN_IO', `cannot write run ${file}`, { cause, context: { file } });
    }
    return id;
  }

  async *read(id: string): AsyncIterable<readonly Buffer[]> {
    const file = this.path(id);
    let pending: Buffer | undefined;
    try {
      for await (const chunk of createReadStream(file, { highWaterMark: this.readBufferBytes }) as AsyncIterable<Buffer>) {
        const data = pending && pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
        const batch: Buffer[] = [];
        let at = 0;
        while (at + 4 <= data.length) {
          const len = data.readUInt32LE(at);
          if (at + 4 + len > data.length) break;
          batch.push(data.subarray(at + 4, at + 4 + len));
          at += 4 + len;
        }
        pending = data.subarray(at);
        if (batch.length > 0) yield batch;
      }
    } catch (cause) {
      throw new ReplayError('REPLAY_RUN_IO', `cannot read run ${file}`, { cause, context: { file } });
    }
    if (pending !== undefined && pending.length > 0) {
      throw new ReplayError('REPLAY_RUN_IO', `run ${file} ends inside a record (truncated)`, { context: { file } });
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    open_.delete(this.dir);
  }
}

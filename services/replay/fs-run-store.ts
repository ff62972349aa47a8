/**
 * Compaction runs in a temporary folder: the only file code of the replay
 * room, kept behind the RunStore port. Each run is one file of
 * length-prefixed records, written in large chunks and read back as a stream.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayError } from './errors.js';
import type { RunStore } from './run-store.js';

const CHUNK = 1 << 20;

export class FsRunStore implements RunStore {
  private next = 0;

  private constructor(readonly dir: string, private readonly readBufferBytes: number) {}

  /** Creates a fresh folder under `parent` (default: the OS temp folder). */
  static async create(options: { parent?: string; readBufferBytes?: number } = {}): Promise<FsRunStore> {
    const dir = await mkdtemp(join(options.parent ?? tmpdir(), 'rewind-runs-'));
    return new FsRunStore(dir, options.readBufferBytes ?? 256 * 1024);
  }

  private path(id: string): string {
    if (!/^run-\d+$/.test(id)) throw new ReplayError('REPLAY_RUN_IO', `not a run id: ${id}`, { details: { id } });
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
      throw new ReplayError('REPLAY_RUN_IO', `cannot write run ${file}`, { cause, details: { file } });
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
      throw new ReplayError('REPLAY_RUN_IO', `cannot read run ${file}`, { cause, details: { file } });
    }
    if (pending !== undefined && pending.length > 0) {
      throw new ReplayError('REPLAY_RUN_IO', `run ${file} ends inside a record (truncated)`, { details: { file } });
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Durable atomic replacement of one file: write a temp file in the same
 * folder, fsync it, rename it over the target, fsync the folder (so the rename
 * itself survives a power cut). A crash at any point leaves the old file or the
 * new one, plus at worst a temp file that listings ignore.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobSource } from './blob-store.js';

const TEMP_SUFFIX = '.tmp';

/** Temp files are `.<name>.<random>.tmp` beside their target. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX);
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface WrittenFile {
  sha256: string;
  bytes: number;
}

function toReadable(source: BlobSource): Readable {
  if (source instanceof Uint8Array) return Readable.from([source]);
  if (source instanceof Readable) return source;
  return Readable.from(source);
}

/** Writes `source` to `target` atomically and durably; returns its sha256 and length. */
export async function writeFileAtomic(target: string, source: BlobSource): Promise<WrittenFile> {
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  const hash = createHash('sha256');
  let bytes = 0;
  let renamed = false;
  try {
    const measure = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb(null, chunk);
      },
    });
    // `flush` fsyncs the file before the stream closes it; pipeline resolves after the close.
    await pipeline(toReadable(source), measure, createWriteStream(temp, { flags: 'wx', flush: true }));
    await rename(temp, target);
    renamed = true;
    await fsyncDir(dir);
    return { sha256: hash.digest('hex'), bytes };
  } finally {
    if (!renamed) await rm(temp, { force: true });
  }
}

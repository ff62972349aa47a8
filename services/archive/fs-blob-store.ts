/** BlobStore on a local folder (the archive root). */
import { mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileRef } from '../../contracts/index.js';
import { ArchiveError } from './archive-errors.js';
import { isTempName, writeFileAtomic } from './atomic-file.js';
import { checkArchivePath } from './blob-store.js';
import type { BlobSource, BlobStat, BlobStore } from './blob-store.js';

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

export interface FsBlobStoreOptions {
  /** Read chunk size; larger chunks mean fewer calls on big sequential reads. */
  readChunkBytes?: number;
}

export class FsBlobStore implements BlobStore {
  readonly root: string;
  private readonly readChunkBytes: number;

  constructor(root: string, options: FsBlobStoreOptions = {}) {
    this.root = root;
    this.readChunkBytes = options.readChunkBytes ?? 256 * 1024;
  }

  locate(path: string): string {
    return join(this.root, ...checkArchivePath(path).split('/'));
  }

  async put(path: string, source: BlobSource): Promise<FileRef> {
    const target = this.locate(path);
    try {
      await mkdir(dirname(target), { recursive: true });
      const { sha256, bytes } = await writeFileAtomic(target, source);
      return { path, sha256, bytes };
    } catch (err) {
      if (err instanceof ArchiveError) throw err;
      throw new ArchiveError('ARCHIVE_IO_FAILED', { path, location: target, operation: 'write' }, { cause: err });
    }
  }

  async openRead(path: string): Promise<Readable> {
    const location = this.locate(path);
    try {
      // Opening first turns a missing file into an error here rather than on the first read.
      const fh = await open(location, 'r');
      return fh.createReadStream({ highWaterMark: this.readChunkBytes });
    } catch (err) {
      if (errno(err) === 'ENOENT') throw new ArchiveError('ARCHIVE_FILE_MISSING', { path, location }, { cause: err });
      throw new ArchiveError('ARCHIVE_IO_FAILED', { path, location, operation: 'open' }, { cause: err });
    }
  }

  async stat(path: string): Promise<BlobStat | null> {
    const location = this.locate(path);
    try {
      const s = await stat(location);
      return s.isFile() ? { bytes: s.size } : null;
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return null;
      throw new ArchiveError('ARCHIVE_IO_FAILED', { path, location, operation: 'stat' }, { cause: err });
    }
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== null;
  }

  async delete(path: string): Promise<void> {
    const location = this.locate(path);
    try {
      await unlink(location);
    } catch (err) {
      if (errno(err) === 'ENOENT') return;
      throw new ArchiveError('ARCHIVE_IO_FAILED', { path, location, operation: 'delete' }, { cause: err });
    }
  }

  async list(prefix = ''): Promise<string[]> {
    // The folder to walk is the prefix up to its last slash; the rest filters names.
    const cut = prefix.lastIndexOf('/');
    const folder = cut < 0 ? '' : prefix.slice(0, cut);
    if (folder !== '') checkArchivePath(folder);
    const start = folder === '' ? this.root : this.locate(folder);
    let entries;
    try {
      entries = await readdir(start, { recursive: true, withFileTypes: true });
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return [];
      throw new ArchiveError('ARCHIVE_IO_FAILED', { path: folder, location: start, operation: 'list' }, { cause: err });
    }
    const out: string[] = [];
    for (const e of entries) {
      if (!e.isFile() || isTempName(e.name)) continue;
      const rel = relative(this.root, join(e.parentPath, e.name)).split(sep).join('/');
      if (rel.startsWith(prefix)) out.push(rel);
    }
    return out.sort();
  }
}

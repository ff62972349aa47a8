/**
 * Where the collector's resume point lives.
 *
 * - Embedded (`rewind up`): in the archive catalog. The archiver writes the
 *   token there together with the segment holding the events it covers, so
 *   the collector only reads it at start; events published after it and lost
 *   in a crash are read again from the change stream.
 * - Kafka (`rewind collect`): in a small local state file, written after each
 *   publish has been acknowledged by every in-sync replica. A crash between
 *   the acknowledgement and the write re-publishes a few events, which the
 *   archiver drops by position.
 */
import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { comparePositions, formatPosition, maxPosition, parsePosition, positionString } from '../../contracts/index.js';
import type { Catalog } from '../../contracts/index.js';
import { CollectorError } from './collector-errors.js';

export interface ResumePoint {
  /** Canonical extended JSON of the resume token. */
  token: Record<string, unknown>;
  /** `seconds.increment.index`: complete up to here; also the last assigned position. */
  durable: string;
  /** False until an initial copy has completed since the last gap. */
  copyComplete: boolean;
}

export interface ResumeStore {
  load(): Promise<ResumePoint | null>;
  /** Called after a publish resolved: the log holds everything up to this point. */
  saved(point: ResumePoint): Promise<void>;
}

/** Reads the resume point the archiver committed in the catalog. */
export class CatalogResumeStore implements ResumeStore {
  constructor(private readonly readCatalog: () => Promise<Catalog | null>) {}

  async load(): Promise<ResumePoint | null> {
    const catalog = await this.readCatalog();
    if (!catalog) return null;
    const openGap = catalog.gaps.some((g) => g.to === undefined);
    const copyComplete = catalog.snapshots.length > 0 && !openGap;
    if (catalog.resumeToken && catalog.durable) return { token: catalog.resumeToken, durable: catalog.durable, copyComplete };
    // A base but no token yet (stopped right after the first copy): restart the stream at the base's
    // position (startAtOperationTime); if the oplog no longer reaches back there, that is a gap.
    const newest = catalog.snapshots.map((s) => parsePosition(s.position)).sort(comparePositions).at(-1);
    const known = catalog.durable ? parsePosition(catalog.durable) : newest;
    if (!known) return null;
    return { token: {}, durable: formatPosition(newest ? maxPosition(known, newest) : known), copyComplete };
  }

  // The archiver commits the point with the segment that makes it true.
  saved(): Promise<void> {
    return Promise.resolve();
  }
}

const stateSchema = z.strictObject({
  token: z.record(z.string(), z.unknown()),
  durable: positionString,
  copyComplete: z.boolean(),
});

/** A JSON file replaced atomically (temp file, fsync, rename, fsync of the folder). */
export class FileResumeStore implements ResumeStore {
  constructor(readonly path: string) {}

  async load(): Promise<ResumePoint | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new CollectorError('STATE_FILE_INVALID', { path: this.path, detail: 'not valid JSON' }, { cause: err });
    }
    const parsed = stateSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CollectorError('STATE_FILE_INVALID', {
        path: this.path,
        detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      });
    }
    return parsed.data;
  }

  async saved(point: ResumePoint): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${basename(this.path)}.${randomBytes(4).toString('hex')}.tmp`);
    const fh = await open(temp, 'w');
    try {
      await fh.writeFile(`${JSON.stringify(point)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, this.path);
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}

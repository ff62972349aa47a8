/**
 * The catalog on an object store: one object per generation,
 * `catalog/<generation, 12 digits>.json`, each created with If-None-Match so
 * it is written once and never replaced (write-once buckets work). The
 * current catalog is the highest generation; the one below it is the
 * previous. Two writers that both read generation N can both try to create
 * N + 1, and only one succeeds: the other gets CATALOG_CONFLICT and has
 * overwritten nothing, whatever happened to the lease lock. Old generations
 * beyond the last few are deleted after each commit (best effort).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Catalog } from '../../contracts/catalog.js';
import { ArchiveError, isArchiveError } from './archive-errors.js';
import { readWhole } from './blob-store.js';
import type { CatalogIntegrity, CatalogMedium, CatalogText } from './catalog-medium.js';
import { isPreconditionFailed, withRetries } from './s3-client.js';
import type { S3BlobStore } from './s3-blob-store.js';
import { S3LeaseLock } from './s3-lease-lock.js';

export const S3_CATALOG_PREFIX = 'catalog/';
/** Generations kept besides the current one: the previous for manual recovery, one more for readers mid-read. */
const KEEP_GENERATIONS = 3;

const generationPath = (g: number) => `${S3_CATALOG_PREFIX}${String(g).padStart(12, '0')}.json`;
const GENERATION_NAME = /^catalog\/(\d{12})\.json$/;

export interface S3CatalogMediumOptions {
  /** How long the writer lease lasts without renewal (default 30 s). */
  leaseMs?: number;
}

export class S3CatalogMedium implements CatalogMedium {
  readonly lock: S3LeaseLock;
  private readonly store: S3BlobStore;

  constructor(store: S3BlobStore, options: S3CatalogMediumOptions = {}) {
    this.store = store;
    this.lock = new S3LeaseLock(store, options.leaseMs ?? 30_000);
  }

  get root(): string {
    return this.store.root;
  }

  get location(): string {
    return this.locationOf('current');
  }

  locationOf(which: 'current' | 'previous'): string {
    return `${this.store.root}/${S3_CATALOG_PREFIX} (${which === 'current' ? 'newest' : 'second newest'} generation)`;
  }

  async prepare(): Promise<void> {
    // Nothing to create: rewind never creates buckets, and keys need no folders.
  }

  private async generations(): Promise<number[]> {
    const names = await this.store.list(S3_CATALOG_PREFIX);
    return names.flatMap((n) => {
      const m = GENERATION_NAME.exec(n);
      return m ? [Number(m[1])] : [];
    });
  }

  async read(which: 'current' | 'previous'): Promise<CatalogText | null> {
    // A generation listed a moment ago may have been pruned by a writer that moved on: list again.
    for (let attempt = 0; ; attempt++) {
      const gens = (await this.generations()).sort((a, b) => b - a);
      const g = gens[which === 'current' ? 0 : 1];
      if (g === undefined) return null;
      const path = generationPath(g);
      try {
        return { text: (await readWhole(this.store, path)).toString('utf8'), path, location: this.store.locate(path) };
      } catch (err) {
        if (!isArchiveError(err, 'ARCHIVE_FILE_MISSING') || attempt >= 3) throw err;
      }
    }
  }

  /**
   * No sums kept here yet: each generation is a create-only object, so rewind
   * itself never replaces one, but a hand-made overwrite is not detected.
   */
  async verify(_found: CatalogText, _generation: number): Promise<CatalogIntegrity> {
    return Promise.resolve('no-checksum');
  }

  async commit(next: Catalog, text: string, _previous: { catalog: Catalog; text: string } | null): Promise<void> {
    this.lock.check();
    const path = generationPath(next.generation);
    const body = Buffer.from(text);
    await withRetries(this.store.options, this.store.ctx('PutObject (catalog)', path), async (attempt) => {
      try {
        await this.store.client.send(
          new PutObjectCommand({ Bucket: this.store.bucket, Key: this.store.key(path), Body: body, ContentType: 'application/json', IfNoneMatch: '*' }),
        );
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        // A retried create whose first attempt landed: the object is ours if it holds exactly our bytes.
        if (attempt > 1 && (await this.readExact(path)) === text) return;
        throw new ArchiveError(
          'CATALOG_CONFLICT',
          {
            path,
            location: this.store.locate(path),
            detail: `generation ${next.generation} was committed by another writer; nothing was overwritten (is a second archiver running on this bucket and prefix?)`,
          },
          { cause: err },
        );
      }
    });
    await this.prune(next.generation);
  }

  async cleanup(): Promise<void> {
    // Nothing: a commit is one object that appears whole or not at all.
  }

  private async readExact(path: string): Promise<string | null> {
    try {
      return (await readWhole(this.store, path)).toString('utf8');
    } catch {
      return null;
    }
  }

  /** Deletes the generation that just fell out of the kept few (one request, no listing). */
  private async prune(current: number): Promise<void> {
    const old = current - KEEP_GENERATIONS - 1;
    if (old < 0) return;
    // A bucket that forbids deletes (object lock) keeps every generation; reads still find the newest.
    await this.store.delete(generationPath(old)).catch(() => undefined);
  }
}

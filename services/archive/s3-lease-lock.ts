/**
 * The catalog's writer lock on an object store: a lock object created with
 * If-None-Match (only one creator wins) and held by a lease that its holder
 * renews with If-Match on the ETag it last wrote. A lease not renewed for
 * `leaseMs` (judged by the server's own clock: the Date header against the
 * object's Last-Modified, so clock skew between machines does not matter), or
 * one whose holder is a dead process on this host, is taken over with
 * If-Match on the stale ETag, so of two processes taking over only one wins.
 *
 * The lock keeps a second archiver out before it writes anything; it is not
 * what keeps the catalog safe. Some S3-compatible servers (s3proxy's
 * filesystem backend) check If-Match without atomicity, so the catalog's own
 * create-only generation objects (s3-catalog-medium.ts) are the fence: a
 * writer that lost its lease cannot overwrite anything.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { asProcessOwner, currentOwner, ownerLiveness } from '../../contracts/process-owner.js';
import type { ProcessOwner } from '../../contracts/process-owner.js';
import { ArchiveError } from './archive-errors.js';
import type { CatalogLock } from './catalog-medium.js';
import { isNotFound, isPreconditionFailed, withRetries } from './s3-client.js';
import type { S3BlobStore } from './s3-blob-store.js';

export const S3_LOCK_OBJECT = 'catalog.lock';

/** Its owner (pid, host, boot id, start time: contracts/process-owner.ts), so a crashed writer on this host is seen at once. */
interface LeaseContent extends ProcessOwner {
  nonce: string;
  leaseMs: number;
  renewedAt: string;
}

interface Holder {
  content: LeaseContent;
  etag: string;
  /** Milliseconds since the lock object was last written, by the server's clock. */
  ageMs: number;
}

export class S3LeaseLock implements CatalogLock {
  private readonly store: S3BlobStore;
  private readonly leaseMs: number;
  private held: { content: LeaseContent; etag: string; renewedAtMs: number } | null = null;
  private lost: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;

  constructor(store: S3BlobStore, leaseMs: number) {
    this.store = store;
    this.leaseMs = leaseMs;
  }

  get isHeld(): boolean {
    return this.held !== null;
  }

  get location(): string {
    return this.store.locate(S3_LOCK_OBJECT);
  }

  async acquire(): Promise<void> {
    if (this.held) return;
    const mine = this.content(randomBytes(8).toString('hex'));
    const created = await this.put(mine, { IfNoneMatch: '*' });
    if (created !== null) return this.hold(mine, created);
    const holder = await this.readHolder();
    if (!holder) {
      // Released between our attempt and our look: one more try, then report whoever has it.
      const again = await this.put(mine, { IfNoneMatch: '*' });
      if (again !== null) return this.hold(mine, again);
      throw this.locked((await this.readHolder())?.content);
    }
    // A dead pid, a reused one (another start time) or another boot on this host: the lease need not run out.
    const deadHere = holder.content.host === mine.host && ownerLiveness(holder.content) === 'gone';
    if (holder.ageMs <= holder.content.leaseMs && !deadHere) throw this.locked(holder.content);
    const taken = await this.put(mine, { IfMatch: holder.etag });
    if (taken === null) throw this.locked((await this.readHolder())?.content ?? holder.content);
    this.hold(mine, taken);
  }

  /** Throws CATALOG_LEASE_LOST when the lease was taken over or could not be renewed in time. */
  check(): void {
    if (this.lost !== null) throw new ArchiveError('CATALOG_LEASE_LOST', { path: S3_LOCK_OBJECT, location: this.location, detail: this.lost });
    if (this.held && Date.now() - this.held.renewedAtMs > this.held.content.leaseMs) {
      this.lost = `not renewed for ${Date.now() - this.held.renewedAtMs} ms (lease ${this.held.content.leaseMs} ms)`;
      this.check();
    }
  }

  async release(): Promise<void> {
    const held = this.held;
    this.stopTimer();
    await this.renewing?.catch(() => undefined);
    this.held = null;
    this.lost = null;
    if (!held) return;
    await this.store.client
      .send(new DeleteObjectCommand({ Bucket: this.store.bucket, Key: this.store.key(S3_LOCK_OBJECT), IfMatch: held.etag }))
      .catch(() => undefined); // taken over meanwhile, or unreachable: the lease then expires on its own
  }

  private hold(content: LeaseContent, etag: string): void {
    this.held = { content, etag, renewedAtMs: Date.now() };
    this.lost = null;
    this.timer = setInterval(() => {
      this.renewing ??= this.renew().finally(() => (this.renewing = null));
    }, Math.max(200, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const held = this.held;
    if (!held || this.lost !== null) return;
    const next = { ...held.content, renewedAt: new Date().toISOString() };
    try {
      const etag = await this.put(next, { IfMatch: held.etag });
      if (this.held !== held) return; // released meanwhile
      if (etag === null) {
        this.lost = 'another process took the lock over';
        this.stopTimer();
        return;
      }
      this.held = { content: next, etag, renewedAtMs: Date.now() };
    } catch {
      // Unreachable for now: check() turns a lease left unrenewed past leaseMs into CATALOG_LEASE_LOST.
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private content(nonce: string): LeaseContent {
    return { ...currentOwner(), nonce, leaseMs: this.leaseMs, renewedAt: new Date().toISOString() };
  }

  /** The new ETag, or null when the condition failed (someone else holds or took the lock). */
  private async put(content: LeaseContent, condition: { IfNoneMatch?: string; IfMatch?: string }): Promise<string | null> {
    const body = JSON.stringify(content);
    return withRetries(this.store.options, this.store.ctx('PutObject (lock)', S3_LOCK_OBJECT), async (attempt) => {
      try {
        const r = await this.store.client.send(
          new PutObjectCommand({ Bucket: this.store.bucket, Key: this.store.key(S3_LOCK_OBJECT), Body: body, ContentType: 'application/json', ...condition }),
        );
        return r.ETag ?? '';
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        // A retried write whose first attempt landed fails its own condition: it is ours if it holds our nonce.
        if (attempt > 1) {
          const now = await this.readHolder();
          if (now && now.content.nonce === content.nonce && now.content.renewedAt === content.renewedAt) return now.etag;
        }
        return null;
      }
    });
  }

  private async readHolder(): Promise<Holder | null> {
    let serverDate: number | undefined;
    const command = new GetObjectCommand({ Bucket: this.store.bucket, Key: this.store.key(S3_LOCK_OBJECT) });
    // The response's Date header is the server's clock; the SDK does not surface it otherwise.
    command.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const date = (result.response as { headers?: Record<string, string> }).headers?.date;
        if (date) serverDate = Date.parse(date);
        return result;
      },
      { step: 'deserialize', name: 'rewindServerDate' },
    );
    let r: GetObjectCommandOutput;
    try {
      r = await withRetries(this.store.options, this.store.ctx('GetObject (lock)', S3_LOCK_OBJECT), () => this.store.client.send(command));
    } catch (err) {
      if (isNotFound(err) || isNotFound((err as { cause?: unknown }).cause)) return null;
      throw err;
    }
    const text = (await r.Body?.transformToString()) ?? '';
    let content: LeaseContent;
    try {
      const parsed = JSON.parse(text) as Partial<LeaseContent>;
      content = {
        ...(asProcessOwner(parsed) ?? { pid: 0, host: 'unknown' }),
        nonce: typeof parsed.nonce === 'string' ? parsed.nonce : 'unreadable',
        leaseMs: typeof parsed.leaseMs === 'number' ? parsed.leaseMs : this.leaseMs,
        renewedAt: typeof parsed.renewedAt === 'string' ? parsed.renewedAt : '',
      };
    } catch {
      // Damage, not a writer mid-way (objects appear whole): treat it as expired.
      content = { pid: 0, host: 'unknown', nonce: 'unreadable', leaseMs: 0, renewedAt: '' };
    }
    const modified = r.LastModified?.getTime() ?? 0;
    const ageMs = Math.max(0, (serverDate ?? Date.now()) - modified);
    return { content, etag: r.ETag ?? '', ageMs };
  }

  private locked(holder: LeaseContent | undefined): ArchiveError {
    return new ArchiveError('CATALOG_LOCKED', {
      path: S3_LOCK_OBJECT,
      location: this.location,
      holderPid: holder?.pid ?? 0,
      holderHost: holder?.host ?? 'unknown',
    });
  }
}

/**
 * BlobStore on an S3-compatible object store: one archive is one prefix of a
 * bucket. A put is one PutObject or, past one part, a multipart upload (parts
 * uploaded a few at a time, each with Content-MD5 so the server refuses a
 * damaged part; the object appears only when the upload completes, so readers
 * see the old object or the whole new one). Every request is retried with
 * backoff (s3-client.ts); a read that breaks mid-body resumes with a Range
 * request pinned to the object's ETag. Verified reads (openVerified) spool the
 * object to a temporary file while hashing it once, so a file is checked
 * before its first record is decoded without downloading it twice.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart, GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileRef } from '../../contracts/index.js';
import { ArchiveError, isArchiveError } from './archive-errors.js';
import { checkArchivePath } from './blob-store.js';
import type { BlobSource, BlobStat, BlobStore } from './blob-store.js';
import { createS3Client, isNotFound, toArchiveError, withRetries } from './s3-client.js';
import type { RetryContext, S3ConnectionOptions } from './s3-client.js';

/** S3's smallest part (except the last). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export interface S3BlobStoreOptions extends S3ConnectionOptions {
  bucket: string;
  /** Key prefix of the archive, without leading or trailing slash ('' for the bucket's root). */
  prefix: string;
  /** Multipart part size; a file up to one part is a single PutObject (default 8 MiB). */
  partBytes?: number;
  /** Parts uploaded at once (default 4): memory is about (this + 1) × partBytes per open file. */
  partConcurrency?: number;
  /** Where verified reads spool objects (default: the OS temp folder). */
  tempDir?: string;
  /** A client to share (tests, several stores on one endpoint); built from the options otherwise. */
  client?: S3Client;
}

function toAsyncIterable(source: BlobSource): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) return Readable.from([source]);
  return source;
}

/** Cuts a byte stream into parts of exactly `size` bytes (the last may be shorter). */
async function* parts(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let part = Buffer.allocUnsafe(size);
  let fill = 0;
  for await (const chunk of source) {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(size - fill, chunk.length - at);
      part.set(chunk.subarray(at, at + n), fill);
      fill += n;
      at += n;
      if (fill === size) {
        yield part;
        part = Buffer.allocUnsafe(size);
        fill = 0;
      }
    }
  }
  if (fill > 0) yield part.subarray(0, fill);
}

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('base64');

export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly options: S3BlobStoreOptions;
  private readonly partBytes: number;
  private readonly partConcurrency: number;

  constructor(options: S3BlobStoreOptions) {
    this.options = options;
    this.bucket = options.bucket;
    this.prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.client = options.client ?? createS3Client(options);
    this.partBytes = options.partBytes ?? 8 * 1024 * 1024;
    this.partConcurrency = options.partConcurrency ?? 4;
  }

  /** The object key of an archive-relative path. */
  key(path: string): string {
    checkArchivePath(path);
    return this.prefix === '' ? path : `${this.prefix}/${path}`;
  }

  locate(path: string): string {
    return `s3://${this.bucket}/${this.key(path)}`;
  }

  /** Where the archive itself is, for messages. */
  get root(): string {
    return `s3://${this.bucket}${this.prefix === '' ? '' : `/${this.prefix}`}`;
  }

  ctx(operation: string, path: string): RetryContext {
    return { operation, path, location: this.locate(path) };
  }

  async put(path: string, source: BlobSource): Promise<FileRef> {
    const key = this.key(path);
    const hash = createHash('sha256');
    let bytes = 0;
    const counted = (async function* (src: AsyncIterable<Uint8Array>) {
      for await (const chunk of src) {
        hash.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    })(toAsyncIterable(source));
    const cut = parts(counted, this.partBytes);
    try {
      const first = await cut.next();
      const second = first.done ? first : await cut.next();
      if (second.done) {
        const body = first.done ? Buffer.alloc(0) : first.value;
        await withRetries(this.options, this.ctx('PutObject', path), () =>
          this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentMD5: md5(body), ContentLength: body.length })),
        );
      } else {
        await this.multipart(path, key, [first.value as Buffer, second.value], cut);
      }
      return { path, sha256: hash.digest('hex'), bytes };
    } catch (err) {
      // The writer may be waiting for the source to drain: end it, as a failed pipeline would
      // (returning the generators reaches the source's iterator, which destroys a stream).
      void cut.return(undefined).catch(() => undefined);
      if (source instanceof Readable) source.destroy(err instanceof Error ? err : new Error(String(err)));
      if (isArchiveError(err)) throw err;
      throw toArchiveError(err, this.ctx('upload', path));
    }
  }

  private async multipart(path: string, key: string, head: Buffer[], rest: AsyncGenerator<Buffer>): Promise<void> {
    const created = await withRetries(this.options, this.ctx('CreateMultipartUpload', path), () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key })),
    );
    const uploadId = created.UploadId as string;
    const done: CompletedPart[] = [];
    const inFlight = new Map<number, Promise<void>>();
    const failed: { error: Error | null } = { error: null };
    const upload = (n: number, body: Buffer) => {
      const task = withRetries(this.options, this.ctx(`UploadPart ${n}`, path), () =>
        this.client.send(
          new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body, ContentMD5: md5(body), ContentLength: body.length }),
        ),
      ).then(
        (r) => {
          done.push({ PartNumber: n, ETag: r.ETag });
        },
        (err: unknown) => {
          failed.error ??= err instanceof Error ? err : new Error(String(err));
        },
      );
      inFlight.set(n, task.finally(() => inFlight.delete(n)));
    };
    try {
      let n = 0;
      const next = async (body: Buffer) => {
        while (inFlight.size >= this.partConcurrency) await Promise.race(inFlight.values());
        if (failed.error) throw failed.error;
        upload(++n, body);
      };
      for (const body of head) await next(body);
      for await (const body of rest) await next(body);
      await Promise.all(inFlight.values());
      if (failed.error) throw failed.error;
      done.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      await withRetries(this.options, this.ctx('CompleteMultipartUpload', path), async (attempt) => {
        try {
          await this.client.send(
            new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: done } }),
          );
        } catch (err) {
          // A retried Complete whose first attempt did complete finds the upload gone: the object is there.
          if (attempt > 1 && isNotFound(err) && (await this.stat(path)) !== null) return;
          throw err;
        }
      });
    } catch (err) {
      await Promise.allSettled(inFlight.values());
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw err;
    }
  }

  private async get(path: string, range?: { from: number; etag: string }): Promise<GetObjectCommandOutput> {
    return withRetries(this.options, this.ctx('GetObject', path), async () => {
      try {
        return await this.client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: this.key(path),
            ...(range ? { Range: `bytes=${range.from}-`, IfMatch: range.etag } : {}),
          }),
        );
      } catch (err) {
        if (isNotFound(err)) throw new ArchiveError('ARCHIVE_FILE_MISSING', { path, location: this.locate(path) }, { cause: err });
        throw err;
      }
    });
  }

  async openRead(path: string): Promise<Readable> {
    const first = await this.get(path);
    const total = first.ContentLength ?? 0;
    const etag = first.ETag ?? '';
    const attempts = this.options.maxAttempts ?? 8;
    const base = this.options.retryBaseMs ?? 200;
    const ctx = this.ctx('GetObject (body)', path);
    const resume = (from: number) => this.get(path, { from, etag });
    async function* body(): AsyncGenerator<Buffer> {
      let current = first.Body as Readable;
      let pos = 0;
      let failures = 0;
      try {
        for (;;) {
          try {
            for await (const chunk of current as AsyncIterable<Buffer>) {
              pos += chunk.length;
              failures = 0;
              yield chunk;
            }
            if (pos >= total) return;
            throw new Error(`the body ended after ${pos} of ${total} bytes`);
          } catch (err) {
            current.destroy();
            if (isArchiveError(err) || ++failures >= attempts) throw toArchiveError(err, ctx);
            await sleep(Math.min(5000, base * 2 ** (failures - 1)));
            // The rest of the same object version: a replaced object fails the IfMatch instead of mixing versions.
            current = (await resume(pos)).Body as Readable;
          }
        }
      } finally {
        current.destroy();
      }
    }
    return Readable.from(body(), { objectMode: false, highWaterMark: 1024 * 1024 });
  }

  /**
   * The object's bytes once they match `ref` (length and sha256): downloaded
   * once into an unlinked temporary file while hashing, then read from there.
   */
  async openVerified(ref: FileRef): Promise<Readable> {
    const location = this.locate(ref.path);
    const temp = join(this.options.tempDir ?? tmpdir(), `.rewind-s3-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(temp, 'w+');
    let handedOver = false;
    try {
      await unlink(temp); // the open handle keeps the bytes; nothing is left behind on a crash
      const hash = createHash('sha256');
      let bytes = 0;
      const stream = await this.openRead(ref.path);
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          hash.update(chunk);
          await fh.write(chunk, 0, chunk.length, bytes);
          bytes += chunk.length;
          if (bytes > ref.bytes) break;
        }
      } finally {
        stream.destroy();
      }
      if (bytes < ref.bytes) throw new ArchiveError('ARCHIVE_TRUNCATED', { path: ref.path, location, expectedBytes: ref.bytes, actualBytes: bytes });
      if (bytes > ref.bytes) {
        const actualBytes = (await this.stat(ref.path))?.bytes ?? bytes;
        throw new ArchiveError('ARCHIVE_LENGTH_MISMATCH', { path: ref.path, location, expectedBytes: ref.bytes, actualBytes });
      }
      const actual = hash.digest('hex');
      if (actual !== ref.sha256) throw new ArchiveError('ARCHIVE_CHECKSUM_MISMATCH', { path: ref.path, location, expected: ref.sha256, actual });
      handedOver = true;
      return fh.createReadStream({ start: 0, highWaterMark: 256 * 1024, autoClose: true });
    } finally {
      if (!handedOver) await fh.close();
    }
  }

  async stat(path: string): Promise<BlobStat | null> {
    return withRetries(this.options, this.ctx('HeadObject', path), async () => {
      try {
        const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
        return { bytes: r.ContentLength ?? 0 };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== null;
  }

  async delete(path: string): Promise<void> {
    await withRetries(this.options, this.ctx('DeleteObject', path), async () => {
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    });
  }

  async list(prefix = ''): Promise<string[]> {
    const base = this.prefix === '' ? '' : `${this.prefix}/`;
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await withRetries(this.options, { operation: 'ListObjectsV2', path: prefix, location: `s3://${this.bucket}/${base}${prefix}` }, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${base}${prefix}`, ...(token ? { ContinuationToken: token } : {}) })),
      );
      for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key.slice(base.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }
}

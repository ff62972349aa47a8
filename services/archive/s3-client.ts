/**
 * The S3 client an archive on an object store uses, and how its failures
 * become archive errors. One place decides addressing (path-style for most
 * self-hosted servers, virtual-host for AWS), the endpoint (MinIO, Ceph, R2,
 * s3proxy), credentials (the SDK's standard chain unless given), and retries:
 * the SDK's own retries are off and every operation goes through
 * `withRetries`, so a server that restarts for several seconds is waited out
 * with a known budget instead of the SDK's few quick attempts.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { ArchiveError, isArchiveError } from './archive-errors.js';

export type S3Addressing = 'path' | 'virtual-host';

export interface S3ConnectionOptions {
  /** Custom endpoint (http(s)://host:port) for MinIO, Ceph, R2 or s3proxy; AWS when absent. */
  endpoint?: string;
  /** Region; the SDK's chain (AWS_REGION, profile) when absent, then us-east-1. */
  region?: string;
  addressing?: S3Addressing;
  /** Explicit credentials (tests); the SDK's standard chain when absent. */
  credentials?: S3ClientConfig['credentials'];
  /** Attempts per operation before its error is final (default 8: about 25 s of backoff). */
  maxAttempts?: number;
  /** First backoff delay; doubles per attempt up to 5 s, with ±25 % jitter. */
  retryBaseMs?: number;
}

export function createS3Client(options: S3ConnectionOptions): S3Client {
  // The SDK warns on every Node 20 process that later SDK releases need Node 22; rewind pins
  // the release that supports Node 20 (shared NODE20.md), so the warning only confuses operators.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: (options.addressing ?? 'virtual-host') === 'path',
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: 1,
    // rewind computes SHA-256 itself (the catalog's checksum) and sends it where it matters;
    // the SDK's default CRC32 on every request would hash every byte a second time.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

export function httpStatus(err: unknown): number | undefined {
  return (err as SdkError | null)?.$metadata?.httpStatusCode;
}

export function isNotFound(err: unknown): boolean {
  const e = err as SdkError | null;
  return httpStatus(err) === 404 || e?.name === 'NoSuchKey' || e?.name === 'NotFound';
}

export function isPreconditionFailed(err: unknown): boolean {
  const e = err as SdkError | null;
  // 409 ConditionalRequestConflict: S3's answer when a concurrent conditional write is in flight.
  return httpStatus(err) === 412 || e?.name === 'PreconditionFailed' || (httpStatus(err) === 409 && e?.name === 'ConditionalRequestConflict');
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);

/** Network failures, throttling and server errors: worth another attempt. */
export function isTransient(err: unknown): boolean {
  if (isArchiveError(err)) return err.retryable;
  const e = err as SdkError | null;
  const status = httpStatus(err);
  if (status !== undefined) return status >= 500 || status === 429 || status === 408;
  if (e?.code && TRANSIENT_CODES.has(e.code)) return true;
  const name = e?.name ?? '';
  if (name === 'AbortError') return false;
  if (name === 'TimeoutError' || name === 'RequestTimeout') return true;
  // Errors without an HTTP response are the connection's: a refused or reset socket.
  return /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|ETIMEDOUT|other side closed/i.test(e?.message ?? '');
}

export interface RetryContext {
  /** What is being done, e.g. `PutObject segments/x.avro`, for the final error. */
  operation: string;
  path: string;
  location: string;
}

/** Runs `op` until it succeeds, fails for good, or the attempts run out; backoff doubles with jitter. */
export async function withRetries<T>(options: S3ConnectionOptions, ctx: RetryContext, op: (attempt: number) => Promise<T>): Promise<T> {
  const attempts = options.maxAttempts ?? 8;
  const base = options.retryBaseMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (attempt >= attempts || !isTransient(err)) throw toArchiveError(err, ctx);
      const delay = Math.min(5000, base * 2 ** (attempt - 1));
      await sleep(delay * (0.75 + Math.random() * 0.5));
    }
  }
}

/** Maps an SDK failure to the archive's error catalog; archive errors pass through. */
export function toArchiveError(err: unknown, ctx: RetryContext): ArchiveError {
  if (isArchiveError(err)) return err;
  const e = err as SdkError | null;
  const status = httpStatus(err);
  if (e?.name === 'CredentialsProviderError' || /Could not load credentials/i.test(e?.message ?? '')) {
    return new ArchiveError('ARCHIVE_CREDENTIALS_MISSING', { location: ctx.location, detail: e?.message ?? 'none found' }, { cause: err });
  }
  if (e?.name === 'NoSuchBucket') {
    const bucket = /^s3:\/\/([^/]+)/.exec(ctx.location)?.[1] ?? ctx.location;
    return new ArchiveError('ARCHIVE_BUCKET_MISSING', { location: ctx.location, bucket }, { cause: err });
  }
  if (status === 403 || e?.name === 'AccessDenied' || e?.name === 'InvalidAccessKeyId' || e?.name === 'SignatureDoesNotMatch') {
    return new ArchiveError('ARCHIVE_ACCESS_DENIED', { location: ctx.location, operation: ctx.operation }, { cause: err });
  }
  return new ArchiveError('ARCHIVE_IO_FAILED', { path: ctx.path, location: ctx.location, operation: ctx.operation }, { cause: err });
}

/**
 * Configuration, validated once at start: unknown keys are rejected, a bad value
 * names its field, durations are normalized to `…Ms` numbers, and the result is
 * frozen. File values are overridden by REWIND_* environment variables.
 */
import { z } from 'zod';
import { parseArchiveLocation } from './archive-location.js';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Accepts a number of milliseconds or a string like `500ms`, `30s`, `5m`, `2h`, `7d`. */
export const durationMs = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = DURATION.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 500ms, 30s, 5m, 2h or 7d, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
});

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)$/i;
const UNIT_BYTES = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 } as const;

/** Accepts a number of bytes or a string like `64MiB`, `1GB`. */
export const byteSize = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = SIZE.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected a size like 64MiB or 1GB, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * UNIT_BYTES[(m[2] as string).toLowerCase() as keyof typeof UNIT_BYTES]);
});

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const MIB = 1024 * 1024;

/** Connection to an S3-compatible store, for an archive named s3://bucket/prefix. Credentials come from the AWS chain. */
export const s3ConfigSchema = z.strictObject({
  /** Custom endpoint for MinIO, Ceph, R2 or s3proxy (http(s)://host[:port]); AWS when absent. */
  endpoint: z
    .string()
    .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'expected http(s)://host[:port]')
    .optional(),
  /** Region; AWS_REGION (or the profile's) when absent, then us-east-1. */
  region: z.string().min(1).optional(),
  /** `path` (https://endpoint/bucket/key: most self-hosted servers) or `virtual-host` (https://bucket.endpoint/key: AWS). */
  addressing: z.enum(['virtual-host', 'path']).default('virtual-host'),
  /** Multipart part size; files up to one part are a single PutObject. */
  partBytes: byteSize.default(8 * MIB).refine((n) => n >= 5 * MIB && n <= 5 * 1024 * MIB, 'S3 parts are 5 MiB to 5 GiB'),
  /** Attempts per request (with exponential backoff) before a failure is final. */
  maxAttempts: z.number().int().min(1).max(20).default(8),
  /** Writer lease on the catalog: a crashed writer on another host is taken over after this long. */
  leaseMs: durationMs.default(30_000).refine((n) => n >= 3000, 'at least 3s'),
});

export type S3Config = z.infer<typeof s3ConfigSchema>;

const keyId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'key ids use letters, digits, ".", "_" and "-" (at most 64)');
const keySource = z.union([z.strictObject({ file: z.string().min(1) }), z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') })]);

/** `id=file:/path,id2=env:NAME` (REWIND_ENCRYPTION_KEYS) as the keys record. */
function parseKeyList(text: string, ctx: z.RefinementCtx): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=]+)=(file|env):(.+)$/.exec(item);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `expected id=file:/path or id=env:NAME, got ${JSON.stringify(item)}` });
      continue;
    }
    out[m[1] as string] = m[2] === 'file' ? { file: m[3] } : { env: m[3] };
  }
  return out;
}

/**
 * Client-side encryption (AES-256-GCM, a fresh data key per file wrapped by a
 * master key). Master keys are 32 bytes as base64 or hex, in a file or an
 * environment variable; the config holds only where they are, never a key.
 */
export const encryptionConfigSchema = z.strictObject({
  /** The master key that wraps the data keys of new files; absent: read only. */
  key: keyId.optional(),
  /** Every master key to load, by id: older ones keep older files readable and can be rotated away. */
  keys: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .transform((v, ctx) => (typeof v === 'string' ? parseKeyList(v, ctx) : v))
    .pipe(z.record(keyId, keySource)),
}).refine((c) => c.key === undefined || c.key in c.keys, { message: 'the active key must be one of keys', path: ['key'] });

export type EncryptionConfig = z.infer<typeof encryptionConfigSchema>;

export const archiveConfigSchema = z.strictObject({
  /** The archive: a folder, or s3://bucket/prefix (then `s3` says how to reach the store). */
  dir: z
    .string()
    .min(1)
    .superRefine((v, ctx) => {
      const parsed = parseArchiveLocation(v);
      if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
    }),
  s3: s3ConfigSchema.optional(),
  encryption: encryptionConfigSchema.optional(),
  /** Segment files roll at this size or age, whichever comes first. */
  segmentMaxBytes: byteSize.default(64 * 1024 * 1024),
  segmentMaxAgeMs: durationMs.default(60_000),
  /** Block compression: deflate (zlib, on the thread pool) or zstandard (zstd, wasm); every reader reads all three. */
  codec: z.enum(['null', 'deflate', 'zstandard']).default('deflate'),
})
  // The processes that take this config write files: keys without an active one would write them in the clear.
  .refine((a) => a.encryption === undefined || a.encryption.key !== undefined, {
    message: 'a process that writes the archive needs the active master key (encryption.key) to encrypt new files',
    path: ['encryption', 'key'],
  });

export const baseConfigSchema = z.strictObject({
  sourceId: z.string().min(1).default('default'),
  logLevel: logLevel.default('info'),
  archive: archiveConfigSchema,
  /** Memory budget of compaction's sorted runs. */
  compactionMemoryBytes: byteSize.default(256 * 1024 * 1024),
});

export type BaseConfig = z.infer<typeof baseConfigSchema>;

export class ConfigError extends Error {
  readonly issues: readonly { path: string; message: string }[];
  constructor(issues: readonly { path: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Validates, normalizes and freezes; throws ConfigError naming every bad field. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown): Readonly<z.infer<S>> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.flatMap((i) =>
        // One entry per unknown key, its path ending in the key, so a typo is named where it is.
        i.code === 'unrecognized_keys'
          ? i.keys.map((k) => ({ path: [...i.path, k].map(String).join('.'), message: 'unknown key' }))
          : [{ path: i.path.map(String).join('.'), message: i.message }],
      ),
    );
  }
  return deepFreeze(result.data);
}

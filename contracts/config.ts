/**
 * Configuration, validated once at start: unknown keys are rejected, a bad value
 * names its field, durations are normalized to `…Ms` numbers, and the result is
 * frozen. File values are overridden by REWIND_* environment variables.
 *
 * Every key carries its documentation as zod metadata: `description`, and
 * `defaultMeans` (what the default, or leaving an optional key out, does, said
 * plainly). docs/configuration.md is generated from it (`npm run docs:config`).
 */
import { RewindError } from './errors.js';
import { z } from 'zod';
import { parseArchiveLocation } from './archive-location.js';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A whole number of units that is more than 0 and exact in a double: 400
 * nines and a unit make Infinity, and 0 makes every interval and size here
 * meaningless (a segment per event, compaction without pause, retention of
 * nothing), so both are refused rather than taken.
 */
function positiveWhole(value: number, given: unknown, what: string, ctx: z.RefinementCtx): number {
  if (!Number.isFinite(value) || value > Number.MAX_SAFE_INTEGER) {
    ctx.addIssue({ code: 'custom', message: `${what} ${JSON.stringify(given)} is too large` });
    return z.NEVER;
  }
  if (value < 1) {
    ctx.addIssue({ code: 'custom', message: `${what} must be more than 0, got ${JSON.stringify(given)}` });
    return z.NEVER;
  }
  return value;
}

/** Accepts a number of milliseconds or a string like `500ms`, `30s`, `5m`, `2h`, `7d` (a unit is required in a string: `60` could mean seconds). */
export const durationMs = z.union([z.number().int(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return positiveWhole(v, v, 'a duration', ctx);
  const m = DURATION.exec(v.trim());
  if (!m) {
    const hint = /^\s*\d+\s*$/.test(v) ? ` (give a unit: ${v.trim()}ms or ${v.trim()}s)` : '';
    ctx.addIssue({ code: 'custom', message: `expected a duration like 500ms, 30s, 5m, 2h or 7d, got ${JSON.stringify(v)}${hint}` });
    return z.NEVER;
  }
  return positiveWhole(Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]), v, 'a duration', ctx);
});

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?$/i;
const UNIT_BYTES = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 } as const;

/** Accepts a number of bytes, as a number or a string of digits (what an environment variable gives), or a string like `64MiB`, `1GB`. */
export const byteSize = z.union([z.number().int(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return positiveWhole(v, v, 'a size', ctx);
  const m = SIZE.exec(v.trim());
  if (!m || (m[2] === undefined && (m[1] as string).includes('.'))) {
    ctx.addIssue({ code: 'custom', message: `expected a size like 1048576, 64MiB or 1GB, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return positiveWhole(Math.round(Number(m[1]) * UNIT_BYTES[((m[2] ?? 'b')).toLowerCase() as keyof typeof UNIT_BYTES]), v, 'a size', ctx);
});

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const MIB = 1024 * 1024;

/** Connection to an S3-compatible store, for an archive named s3://bucket/prefix. Credentials come from the AWS chain. */
export const s3ConfigSchema = z
  .strictObject({
    endpoint: z
      .string()
      .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'expected http(s)://host[:port]')
      .optional()
      .meta({ description: 'Custom endpoint for MinIO, Ceph, R2 or s3proxy (http(s)://host[:port]).', defaultMeans: 'AWS S3 itself' }),
    region: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Region of the bucket.', defaultMeans: "AWS_REGION (or the profile's region), then us-east-1" }),
    addressing: z.enum(['virtual-host', 'path']).default('virtual-host').meta({
      description: '`path` (https://endpoint/bucket/key: most self-hosted servers) or `virtual-host` (https://bucket.endpoint/key: AWS).',
    }),
    partBytes: byteSize
      .default(8 * MIB)
      .refine((n) => n >= 5 * MIB && n <= 5 * 1024 * MIB, 'S3 parts are 5 MiB to 5 GiB')
      .meta({ description: 'Multipart part size (5 MiB to 5 GiB); a file up to one part is a single PutObject.' }),
    maxAttempts: z.number().int().min(1).max(20).default(8).meta({ description: 'Attempts per request (with exponential backoff) before a failure is final.' }),
    leaseMs: durationMs
      .default(30_000)
      .refine((n) => n >= 3000, 'at least 3s')
      .meta({ description: 'Writer lease on the catalog (at least 3s): a crashed writer on another host is taken over after this long.' }),
  })
  .meta({ description: 'How to reach the S3-compatible store of an archive named s3://bucket/prefix. Credentials come from the AWS chain (environment, profile, instance role).' });

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
export const encryptionConfigSchema = z
  .strictObject({
    key: keyId.optional().meta({
      description: 'Id of the master key that wraps the data keys of new files (one of `keys`).',
      defaultMeans: 'no active key, which only the reading commands accept: with encryption set, a process that writes the archive must name one',
    }),
    keys: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .transform((v, ctx) => (typeof v === 'string' ? parseKeyList(v, ctx) : v))
      .pipe(z.record(keyId, keySource))
      .meta({
        description: 'Every master key to load, by id; older ones keep older files readable until `rewind keys rotate` moves them away.',
        type: 'map of key id to `{"file": path}` or `{"env": NAME}`; as text `id=file:/path,id2=env:NAME`',
      }),
  })
  .refine((c) => c.key === undefined || c.key in c.keys, { message: 'the active key must be one of keys', path: ['key'] })
  .meta({ description: 'Client-side encryption of every archive file (AES-256-GCM, a data key per file wrapped by a master key). The configuration names where the master keys are, never a key.' });

export type EncryptionConfig = z.infer<typeof encryptionConfigSchema>;

export const archiveConfigSchema = z
  .strictObject({
    dir: z
      .string()
      .min(1)
      .superRefine((v, ctx) => {
        const parsed = parseArchiveLocation(v);
        if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
      })
      .meta({ description: 'The archive (the catalog, segments and snapshots): a folder, or s3://bucket/prefix (then `archive.s3` says how to reach the store).' }),
    s3: s3ConfigSchema.optional(),
    encryption: encryptionConfigSchema.optional(),
    segmentMaxBytes: byteSize.default(64 * 1024 * 1024).meta({
      description: 'A segment file is closed (rolled) when it reaches this size, or at segmentMaxAgeMs, whichever comes first.',
    }),
    segmentMaxAgeMs: durationMs.default(60_000).meta({
      description: 'A segment file is closed at this age even when small, and progress is committed at least this often without events.',
      defaultMeans: 'events become durable (restorable) within about a minute of being captured',
    }),
    codec: z.enum(['null', 'deflate', 'zstandard']).default('deflate').meta({
      description: 'Compression of segment and snapshot blocks (Avro container codec): deflate (zlib, on the thread pool) or zstandard (zstd, wasm); every reader reads all three.',
    }),
  })
  // The processes that take this config write files: keys without an active one would write them in the clear.
  .refine((a) => a.encryption === undefined || a.encryption.key !== undefined, {
    message: 'a process that writes the archive needs the active master key (encryption.key) to encrypt new files',
    path: ['encryption', 'key'],
  })
  .meta({ description: 'The archive: where segments, snapshots and the catalog are written.' });

export const baseConfigSchema = z.strictObject({
  sourceId: z.string().min(1).default('default'),
  logLevel: logLevel.default('info'),
  archive: archiveConfigSchema,
  /** Memory budget of compaction's sorted runs. */
  compactionMemoryBytes: byteSize.default(256 * 1024 * 1024),
});

export type BaseConfig = z.infer<typeof baseConfigSchema>;

export class ConfigError extends RewindError<'CONFIG_INVALID'> {
  readonly issues: readonly { path: string; message: string }[];
  constructor(issues: readonly { path: string; message: string }[]) {
    super('CONFIG_INVALID', `invalid configuration: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, {
      context: { issues: issues.map((i) => ({ path: i.path, message: i.message })) },
    });
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

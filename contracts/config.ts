/**
 * Configuration, validated once at start: unknown keys are rejected, a bad value
 * names its field, durations are normalized to `…Ms` numbers, and the result is
 * frozen. File values are overridden by REWIND_* environment variables.
 *
 * Every key carries its documentation as zod metadata: `description`, and
 * `defaultMeans` (what the default, or leaving an optional key out, does, said
 * plainly). docs/configuration.md is generated from it (`npm run docs:config`).
 */
import { z } from 'zod';

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

export const archiveConfigSchema = z
  .strictObject({
    dir: z.string().min(1).meta({ description: 'Root folder of the filesystem archive: the catalog, segments and snapshots.' }),
    segmentMaxBytes: byteSize.default(64 * 1024 * 1024).meta({
      description: 'A segment file is closed (rolled) when it reaches this size, or at segmentMaxAgeMs, whichever comes first.',
    }),
    segmentMaxAgeMs: durationMs.default(60_000).meta({
      description: 'A segment file is closed at this age even when small, and progress is committed at least this often without events.',
      defaultMeans: 'events become durable (restorable) within about a minute of being captured',
    }),
    codec: z.enum(['null', 'deflate']).default('deflate').meta({ description: 'Compression of segment and snapshot blocks (Avro container codec).' }),
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

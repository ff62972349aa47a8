/**
 * Configuration of the capture processes: `rewind up` (collector, embedded
 * log and archiver in one process), `rewind collect` (collector → Kafka) and
 * `rewind archive` (Kafka → archive). Read from a JSON file, overridden by
 * REWIND_* environment variables, then by command-line flags; validated once
 * at start with the helpers of config.ts: unknown keys are rejected and a bad
 * value stops the process with a message naming the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, archiveConfigSchema, byteSize, durationMs, encryptionConfigSchema, logLevel, parseConfig, s3ConfigSchema } from './config.js';
import type { EncryptionConfig, S3Config } from './config.js';
import { mongoUriProblem } from './mongo-uri.js';
import { DEFAULT_STATUS_THRESHOLDS, statusThresholdsSchema } from './status-thresholds.js';
import { scheduledVerifySchema } from './verify-record.js';

const DAY = 86_400_000;

export const mongoSourceConfigSchema = z
  .strictObject({
    uri: z
      .string()
      .superRefine((uri, ctx) => {
        const problem = mongoUriProblem(uri);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .meta({ description: 'mongodb:// or mongodb+srv:// URI of the source deployment (a replica set or sharded cluster).' }),
    include: z
      .array(z.string().min(1))
      .min(1)
      .default(['*'])
      .meta({ description: 'Namespaces captured: `db.coll` patterns, `*` matches any run of characters.', defaultMeans: 'every namespace is captured' }),
    exclude: z.array(z.string().min(1)).default([]).meta({ description: 'Namespaces left out, even when include matches them; same patterns.' }),
    batchSize: z.number().int().min(1).max(100_000).default(1000).meta({ description: 'Change events per batch read from the change stream.' }),
    pollWaitMs: durationMs.default(1000).meta({ description: 'How long one read of the change stream waits for events (maxAwaitTimeMS).' }),
    copyBatchSize: z.number().int().min(1).max(100_000).default(1000).meta({ description: 'Documents per batch of the initial copy.' }),
  })
  .superRefine((m, ctx) => {
    // A pattern both included and excluded: the two options contradict each other.
    m.exclude.forEach((p, i) => {
      if (m.include.includes(p)) ctx.addIssue({ code: 'custom', path: ['exclude', i], message: `${JSON.stringify(p)} is also an include pattern: include and exclude contradict each other` });
    });
  })
  .meta({ description: 'The captured source deployment.' });

export const kafkaConfigSchema = z
  .strictObject({
    brokers: z
      .array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port'))
      .min(1)
      .meta({ description: 'Kafka bootstrap brokers, host:port each.' }),
    topic: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'Kafka topic names use letters, digits, ".", "_" and "-"')
      .optional()
      .meta({ description: 'The topic of the event log (one partition: one total order).', defaultMeans: 'rewind.<sourceId>.events' }),
    groupId: z.string().min(1).optional().meta({ description: 'Consumer group of the archiver.', defaultMeans: 'rewind-archiver.<sourceId>' }),
    clientId: z.string().min(1).optional().meta({ description: 'Kafka client id, as the brokers log it.', defaultMeans: 'rewind-collector (collect), rewind-archiver (archive)' }),
    retentionMs: durationMs.default(7 * DAY).meta({
      description: 'How long the topic keeps records (set when rewind creates the topic). The archiver must never fall further behind.',
      defaultMeans: 'the topic keeps 7 days of events; an archiver that falls further behind loses the events Kafka deleted',
    }),
    replicationFactor: z.number().int().min(1).optional().meta({ description: 'Replicas of the topic when rewind creates it.', defaultMeans: '3, or the number of brokers when fewer' }),
    maxMessageBytes: byteSize.default(64 * 1024 * 1024).meta({ description: 'Largest message the topic accepts (max.message.bytes, set when rewind creates the topic).' }),
    sessionTimeoutMs: durationMs.default(30_000).meta({
      description: 'The archiver\'s consumer-group session: how long a crashed archiver holds its partition before a new one takes over.',
    }),
  })
  .meta({ description: 'The Kafka event log, between `rewind collect` and `rewind archive`.' });

export const compactionConfigSchema = z
  .strictObject({
    everyMs: durationMs.nullable().default(DAY).meta({
      description: 'Compact into a new base snapshot when the newest one is older than this; null: never by time.',
      defaultMeans: 'a new base snapshot every day (or sooner, by afterEvents)',
    }),
    afterEvents: z.number().int().min(1).nullable().default(1_000_000).meta({
      description: 'Compact into a new base snapshot after this many archived events; null: never by volume.',
      defaultMeans: 'a new base snapshot after every million events (or sooner, by everyMs)',
    }),
    tempDir: z.string().min(1).optional().meta({ description: "Parent folder of compaction's sorted runs.", defaultMeans: 'the OS temp folder' }),
  })
  .meta({ description: 'Compaction: folding segments into a new base snapshot, so a restore replays fewer events.' });

export const retentionConfigSchema = z
  .strictObject({
    windowMs: durationMs.nullable().default(null).meta({
      description: 'The restorable window kept: older snapshots and the segments only they need are deleted. null keeps everything.',
      defaultMeans: 'nothing is ever deleted: the archive keeps everything forever and grows without bound',
    }),
  })
  .meta({ description: 'Retention: what the archive deletes as it ages.' });

const compactionMemoryBytes = byteSize
  .default(256 * 1024 * 1024)
  .meta({ description: "Memory budget of compaction's sorted runs; beyond it they spill to compaction.tempDir." });

const common = {
  sourceId: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,100}$/, 'letters, digits, ".", "_" and "-"')
    .default('default')
    .meta({ description: 'Name of the captured source. An archive belongs to one source; it names the default Kafka topic and group.' }),
  logLevel: logLevel.default('info').meta({ description: 'Level of the JSON log lines on stdout (pino).' }),
  // Read by `rewind status --config` from the same file; accepted here so one file serves both.
  status: statusThresholdsSchema.default(DEFAULT_STATUS_THRESHOLDS),
};

const scheduledVerify = scheduledVerifySchema.default(scheduledVerifySchema.parse({}));

/** `rewind collect` writes no archive; naming it lets `rewind status` on that archive show the collector. */
const collectArchiveSchema = z
  .strictObject({
    dir: archiveConfigSchema.shape.dir,
    s3: s3ConfigSchema.optional(),
  })
  .optional()
  .meta({
    description: 'The archive the matching `rewind archive` writes: the collector publishes its status there, so `rewind status` on that archive shows it.',
    defaultMeans: "the collector's status goes beside the state file, where `rewind status` does not look",
  });

export const upConfigSchema = z.strictObject({
  ...common,
  mongo: mongoSourceConfigSchema,
  archive: archiveConfigSchema,
  compaction: compactionConfigSchema.default(compactionConfigSchema.parse({})),
  compactionMemoryBytes,
  retention: retentionConfigSchema.default(retentionConfigSchema.parse({})),
  verify: scheduledVerify,
});

export const collectConfigSchema = z.strictObject({
  ...common,
  mongo: mongoSourceConfigSchema,
  kafka: kafkaConfigSchema,
  archive: collectArchiveSchema,
  stateFile: z.string().min(1).meta({ description: "The collector's resume point, a local file written after every publish the brokers acknowledged." }),
});

export const archiveRunConfigSchema = z.strictObject({
  ...common,
  kafka: kafkaConfigSchema,
  archive: archiveConfigSchema,
  compaction: compactionConfigSchema.default(compactionConfigSchema.parse({})),
  compactionMemoryBytes,
  retention: retentionConfigSchema.default(retentionConfigSchema.parse({})),
  verify: scheduledVerify,
});

export type UpConfig = z.infer<typeof upConfigSchema>;
export type CollectConfig = z.infer<typeof collectConfigSchema>;
export type ArchiveRunConfig = z.infer<typeof archiveRunConfigSchema>;
export type KafkaConfig = z.infer<typeof kafkaConfigSchema>;

/**
 * Environment variables and the config field each sets. Lists are
 * comma-separated. An old name (`replacedBy`) still works, with a
 * deprecation notice; the new name wins when both are set.
 */
export const RUNTIME_ENV: Readonly<Record<string, { path: readonly string[]; list?: boolean; number?: boolean; replacedBy?: string }>> = {
  REWIND_SOURCE_ID: { path: ['sourceId'] },
  REWIND_LOG_LEVEL: { path: ['logLevel'] },
  REWIND_SOURCE_URI: { path: ['mongo', 'uri'] },
  REWIND_MONGO_URI: { path: ['mongo', 'uri'], replacedBy: 'REWIND_SOURCE_URI' },
  REWIND_INCLUDE: { path: ['mongo', 'include'], list: true },
  REWIND_EXCLUDE: { path: ['mongo', 'exclude'], list: true },
  REWIND_ARCHIVE_DIR: { path: ['archive', 'dir'] },
  REWIND_S3_ENDPOINT: { path: ['archive', 's3', 'endpoint'] },
  REWIND_S3_REGION: { path: ['archive', 's3', 'region'] },
  REWIND_S3_ADDRESSING: { path: ['archive', 's3', 'addressing'] },
  REWIND_S3_PART_SIZE: { path: ['archive', 's3', 'partBytes'] },
  REWIND_ENCRYPTION_KEY: { path: ['archive', 'encryption', 'key'] },
  REWIND_ENCRYPTION_KEYS: { path: ['archive', 'encryption', 'keys'] },
  REWIND_SEGMENT_MAX_BYTES: { path: ['archive', 'segmentMaxBytes'] },
  REWIND_SEGMENT_MAX_AGE: { path: ['archive', 'segmentMaxAgeMs'] },
  REWIND_KAFKA_BROKERS: { path: ['kafka', 'brokers'], list: true },
  REWIND_KAFKA_TOPIC: { path: ['kafka', 'topic'] },
  REWIND_KAFKA_GROUP: { path: ['kafka', 'groupId'] },
  REWIND_STATE_FILE: { path: ['stateFile'] },
  REWIND_COMPACTION_EVERY: { path: ['compaction', 'everyMs'] },
  REWIND_COMPACTION_AFTER_EVENTS: { path: ['compaction', 'afterEvents'], number: true },
  REWIND_RETENTION_WINDOW: { path: ['retention', 'windowMs'] },
  REWIND_VERIFY_EVERY: { path: ['verify', 'everyMs'] },
  REWIND_VERIFY_SAMPLE: { path: ['verify', 'sampleFiles'], number: true },
};

type Json = Record<string, unknown>;

function setPath(target: Json, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1] as string] = value;
}

/** Deep merge of plain objects; arrays and scalars of `over` replace. */
function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null && !Array.isArray(b)
        ? merge(b as Json, v as Json)
        : v;
  }
  return out;
}

export interface RuntimeConfigSources {
  /** A JSON file; its keys are the schema's. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, as a partial config (highest precedence). */
  overrides?: Json;
  /** Told of each deprecated environment variable that was used (`name`, and the one that replaces it). */
  onDeprecated?: (name: string, replacedBy: string) => void;
}

/** The raw input: file, then environment, then flags. A file that is not JSON is a ConfigError naming it. */
export function gatherRuntimeConfig(sources: RuntimeConfigSources, schemaKeys: readonly string[]): Json {
  let fromFile: Json = {};
  if (sources.file) {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (err) {
      throw new ConfigError([{ path: '(file)', message: `cannot read ${sources.file}: ${(err as Error).message}` }]);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      fromFile = parsed as Json;
    } catch (err) {
      throw new ConfigError([{ path: '(file)', message: `${sources.file} is not a JSON object: ${(err as Error).message}` }]);
    }
  }
  const fromEnv: Json = {};
  for (const [name, spec] of Object.entries(RUNTIME_ENV)) {
    const raw = sources.env?.[name];
    if (raw === undefined || raw === '' || !schemaKeys.includes(spec.path[0] as string)) continue;
    if (spec.replacedBy !== undefined) {
      sources.onDeprecated?.(name, spec.replacedBy);
      if (sources.env?.[spec.replacedBy]) continue;
    }
    const value = spec.list ? raw.split(',').map((s) => s.trim()).filter(Boolean) : spec.number ? Number(raw) : raw;
    setPath(fromEnv, spec.path, value);
  }
  return merge(merge(fromFile, fromEnv), sources.overrides ?? {});
}

function load<S extends z.ZodObject>(schema: S, sources: RuntimeConfigSources): Readonly<z.infer<S>> {
  return parseConfig(schema, gatherRuntimeConfig(sources, Object.keys(schema.shape)));
}

export const loadUpConfig = (s: RuntimeConfigSources) => load(upConfigSchema, s);
export const loadCollectConfig = (s: RuntimeConfigSources) => load(collectConfigSchema, s);
export const loadArchiveRunConfig = (s: RuntimeConfigSources) => load(archiveRunConfigSchema, s);

export function kafkaTopicName(config: { sourceId: string; kafka: KafkaConfig }): string {
  return config.kafka.topic ?? `rewind.${config.sourceId}.events`;
}

export function kafkaGroupId(config: { sourceId: string; kafka: KafkaConfig }): string {
  return config.kafka.groupId ?? `rewind-archiver.${config.sourceId}`;
}

const archiveAccessSchema = z.strictObject({
  archive: z.strictObject({ s3: s3ConfigSchema.default(s3ConfigSchema.parse({})), encryption: encryptionConfigSchema.optional() }),
});

/**
 * How commands without a config file (catalog, verify, status, restore, diff,
 * history, keys) reach an archive: the same REWIND_S3_* and
 * REWIND_ENCRYPTION_KEY(S) variables the capture processes read, validated by
 * the same schema (a bad value names its field).
 */
export function archiveAccessFromEnv(env: NodeJS.ProcessEnv = process.env): { s3: S3Config; encryption?: EncryptionConfig } {
  const raw: Json = {};
  for (const [name, spec] of Object.entries(RUNTIME_ENV)) {
    const value = env[name];
    if (value === undefined || value === '' || (spec.path[1] !== 's3' && spec.path[1] !== 'encryption')) continue;
    setPath(raw, spec.path, value);
  }
  if (!('archive' in raw)) raw.archive = {};
  const { s3, encryption } = parseConfig(archiveAccessSchema, raw).archive;
  return encryption ? { s3, encryption } : { s3 };
}

/**
 * The command-line flags shared by `up`, `collect` and `archive`, and how
 * each becomes an override of the runtime configuration (file < env < flags).
 * A flag that was not given adds nothing, so the file and the environment
 * keep their say. CAPTURE_FLAG_KEYS is the one map from a flag to its
 * configuration key: the overrides below and the configuration reference
 * (docs/configuration.md) both read it.
 */
export interface CommonCaptureFlags {
  config?: string;
  sourceId?: string;
  logLevel?: string;
}

export interface MongoCaptureFlags {
  sourceUri?: string;
  include: string[];
  exclude: string[];
}

export interface KafkaCaptureFlags {
  kafkaBrokers?: string;
  kafkaTopic?: string;
  kafkaGroup?: string;
}

/** The old spellings of the capture flags (flag-vocabulary.ts): hidden, working, with a deprecation line. */
export const SOURCE_URI_OLD = [{ old: '--mongo <uri>', now: '--source-uri <uri>' }] as const;
export const KAFKA_OLD = [
  { old: '--topic <name>', now: '--kafka-topic <name>' },
  { old: '--group <id>', now: '--kafka-group <id>' },
] as const;

/**
 * Each flag by its commander attribute name (`--kafka-brokers` → kafkaBrokers),
 * the configuration key it sets, and whether its value is a comma-separated list.
 */
export const CAPTURE_FLAG_KEYS = {
  sourceId: { path: ['sourceId'] },
  logLevel: { path: ['logLevel'] },
  archive: { path: ['archive', 'dir'] },
  sourceUri: { path: ['mongo', 'uri'] },
  include: { path: ['mongo', 'include'] },
  exclude: { path: ['mongo', 'exclude'] },
  kafkaBrokers: { path: ['kafka', 'brokers'], commaList: true },
  kafkaTopic: { path: ['kafka', 'topic'] },
  kafkaGroup: { path: ['kafka', 'groupId'] },
  stateFile: { path: ['stateFile'] },
} as const satisfies Record<string, { path: readonly string[]; commaList?: true }>;

type FlagName = keyof typeof CAPTURE_FLAG_KEYS;
type Overrides = Record<string, unknown>;

/** The overrides of the named flags that were given (a repeatable flag given no time is not given). */
function overridesOf(flags: Partial<Record<FlagName, string | readonly string[]>>, names: readonly FlagName[]): Overrides {
  const out: Overrides = {};
  for (const name of names) {
    const value = flags[name];
    if (value === undefined || value.length === 0) continue;
    const spec: { path: readonly string[]; commaList?: true } = CAPTURE_FLAG_KEYS[name];
    let node = out;
    for (const key of spec.path.slice(0, -1)) node = (node[key] ??= {}) as Overrides;
    node[spec.path[spec.path.length - 1] as string] = spec.commaList && typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  }
  return out;
}

/** `{ file }` when --config was given: the loaders' first source. */
export function configFile(flags: CommonCaptureFlags): { file?: string } {
  return flags.config ? { file: flags.config } : {};
}

export function commonOverrides(flags: CommonCaptureFlags): Overrides {
  return overridesOf(flags, ['sourceId', 'logLevel']);
}

export function archiveDirOverride(dir: string | undefined): Overrides {
  return overridesOf(dir === undefined ? {} : { archive: dir }, ['archive']);
}

export function stateFileOverride(file: string | undefined): Overrides {
  return overridesOf(file === undefined ? {} : { stateFile: file }, ['stateFile']);
}

export function mongoOverrides(flags: MongoCaptureFlags): Overrides {
  return overridesOf(flags, ['sourceUri', 'include', 'exclude']);
}

export function kafkaOverrides(flags: KafkaCaptureFlags): Overrides {
  return overridesOf(flags, ['kafkaBrokers', 'kafkaTopic', 'kafkaGroup']);
}

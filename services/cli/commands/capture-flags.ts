/**
 * The command-line flags shared by `up`, `collect` and `archive`, and how
 * each becomes an override of the runtime configuration (file < env < flags).
 * A flag that was not given adds nothing, so the file and the environment
 * keep their say.
 */
export interface CommonCaptureFlags {
  config?: string;
  sourceId?: string;
  logLevel?: string;
}

export interface MongoCaptureFlags {
  mongo?: string;
  include: string[];
  exclude: string[];
}

export interface KafkaCaptureFlags {
  kafkaBrokers?: string;
  topic?: string;
  group?: string;
}

type Overrides = Record<string, unknown>;

/** `{ file }` when --config was given: the loaders' first source. */
export function configFile(flags: CommonCaptureFlags): { file?: string } {
  return flags.config ? { file: flags.config } : {};
}

export function commonOverrides(flags: CommonCaptureFlags): Overrides {
  return {
    ...(flags.sourceId ? { sourceId: flags.sourceId } : {}),
    ...(flags.logLevel ? { logLevel: flags.logLevel } : {}),
  };
}

export function archiveDirOverride(dir: string | undefined): Overrides {
  return dir ? { archive: { dir } } : {};
}

export function mongoOverrides(flags: MongoCaptureFlags): Overrides {
  if (!flags.mongo && flags.include.length === 0 && flags.exclude.length === 0) return {};
  return {
    mongo: {
      ...(flags.mongo ? { uri: flags.mongo } : {}),
      ...(flags.include.length ? { include: flags.include } : {}),
      ...(flags.exclude.length ? { exclude: flags.exclude } : {}),
    },
  };
}

export function kafkaOverrides(flags: KafkaCaptureFlags): Overrides {
  if (!flags.kafkaBrokers && !flags.topic && !flags.group) return {};
  return {
    kafka: {
      ...(flags.kafkaBrokers ? { brokers: flags.kafkaBrokers.split(',').map((s) => s.trim()) } : {}),
      ...(flags.topic ? { topic: flags.topic } : {}),
      ...(flags.group ? { groupId: flags.group } : {}),
    },
  };
}

/**
 * A required setting nobody gave (no flag, no environment variable, no key in
 * the config file) is named the way a person gives it, with an example,
 * instead of zod's "expected object, received undefined".
 */
import { ConfigError } from '../../contracts/config.js';

export interface RequiredSetting {
  /** Config paths zod reports when the setting is absent (the key or its section). */
  paths: readonly string[];
  /** What to give, e.g. `--source-uri <uri> (env REWIND_SOURCE_URI, or mongo.uri in --config)`. */
  give: string;
}

export const REQUIRED_SETTINGS: Readonly<Record<string, RequiredSetting>> = {
  sourceUri: { paths: ['mongo', 'mongo.uri'], give: '--source-uri <uri> (env REWIND_SOURCE_URI, or mongo.uri in the --config file)' },
  archive: { paths: ['archive', 'archive.dir'], give: '--archive <dir> (env REWIND_ARCHIVE_DIR, or archive.dir in the --config file)' },
  kafkaBrokers: { paths: ['kafka', 'kafka.brokers'], give: '--kafka-brokers <host:port,…> (env REWIND_KAFKA_BROKERS, or kafka.brokers in the --config file)' },
  stateFile: { paths: ['stateFile'], give: '--state-file <file> (env REWIND_STATE_FILE, or stateFile in the --config file)' },
};

const ABSENT = /received undefined|^Required$/i;

/** `err` with every absent required setting named (and `example` once), or `err` as it is. */
export function nameMissingSettings(err: unknown, example: string): unknown {
  if (!(err instanceof ConfigError)) return err;
  const missing: string[] = [];
  const rest = err.issues.filter((issue) => {
    const setting = Object.values(REQUIRED_SETTINGS).find((s) => s.paths.includes(issue.path));
    if (!setting || !ABSENT.test(issue.message)) return true;
    if (!missing.includes(setting.give)) missing.push(setting.give);
    return false;
  });
  if (missing.length === 0) return err;
  const named = new ConfigError([...missing.map((give) => ({ path: give.split(' ')[0] ?? give, message: 'missing' })), ...rest]);
  const others = rest.length ? `; ${rest.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}` : '';
  named.message = `invalid configuration: missing ${missing.join('; missing ')}${others}; for example: ${example}`;
  return named;
}

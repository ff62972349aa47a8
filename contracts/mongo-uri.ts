/**
 * MongoDB connection strings as rewind takes them (`--mongo`, `--source`,
 * `--target`, REWIND_MONGO_URI, REWIND_SOURCE_URI, the config's mongo.uri):
 * checked once, before anything is read or connected, and never shown with
 * their password.
 *
 * The connection string specification requires `@`, `/`, `?` and `:` in a
 * user name or password to be percent-encoded. The driver does not refuse a
 * raw one: `mongodb://user:p@ss/w0rd@host` parses as host `ss` with the path
 * `w0rd@host`, and a redaction that stops at the first `@` shows `ss/w0rd`.
 * Such a string is refused here, naming the rule, and redaction masks up to
 * the last `@` whenever the string is not plainly `user:password@hosts`.
 * The rest (scheme, hosts, ports, options) is checked by the driver's own
 * parser, so an unknown option or a bad port is refused before the first
 * connection instead of failing mid-run.
 */
import { MongoClient } from 'mongodb';

export { redactMongoUri } from './mongo-uri-redact.js';
import { redactMongoUri } from './mongo-uri-redact.js';

/**
 * Why `uri` cannot be used, or null when it can; callers put where it came
 * from (`--target`, `REWIND_SOURCE_URI`, `mongo.uri`) in front. The message
 * never repeats the password.
 */
export function mongoUriProblem(uri: string): string | null {
  if (uri.trim() === '') return 'expected a mongodb:// or mongodb+srv:// URI, got an empty value';
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) {
    return `expected a mongodb:// or mongodb+srv:// URI (mongodb://host[:port][,host...][/?options]), got ${JSON.stringify(redactMongoUri(uri))}`;
  }
  const rest = uri.slice(uri.indexOf('://') + 3);
  const query = rest.indexOf('?');
  const authority = query < 0 ? rest : rest.slice(0, query);
  const lastAt = authority.lastIndexOf('@');
  if (lastAt >= 0) {
    const userinfo = authority.slice(0, lastAt);
    if (userinfo.includes('@') || userinfo.includes('/') || userinfo.split(':').length > 2) {
      return 'the user name or password holds a raw "@", "/" or ":"; percent-encode them (%40, %2F, %3A) as the connection string format requires';
    }
  }
  let client: MongoClient;
  try {
    client = new MongoClient(uri);
  } catch (err) {
    const detail = err instanceof Error ? err.message.split(uri).join(redactMongoUri(uri)) : String(err);
    return `${JSON.stringify(redactMongoUri(uri))} is not a valid MongoDB URI: ${detail}`;
  }
  const hosts = client.options.hosts.map(String);
  if (!uri.startsWith('mongodb+srv://') && hosts.some((h) => h.startsWith(':') || h === '')) {
    return `${JSON.stringify(redactMongoUri(uri))} has an empty host in its host list (a stray comma?)`;
  }
  return null;
}

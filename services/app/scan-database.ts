/**
 * The database half of `rewind scan`: the live deployment's collections and
 * their document counts. Reads only (listDatabases, listCollections,
 * countDocuments): the scan never writes to a database, dry run or not.
 *
 * The database scanned is the request's, else the one the URI's path names;
 * with neither, every database but admin, local and config, and collections
 * are then named `db.coll`.
 */
import { MongoClient } from 'mongodb';
import { mongoUriProblem, redactMongoUri } from '../../contracts/mongo-uri.js';
import type { DatabaseSection } from '../../contracts/recovery-report.js';
import { RecoveryError } from './recovery-errors.js';

const SYSTEM_DATABASES = new Set(['admin', 'local', 'config']);

/** The database a URI's path names (`mongodb://h/shop?…` → shop), or null. */
export function databaseOfUri(uri: string): string | null {
  const rest = uri.replace(/^mongodb(?:\+srv)?:\/\//, '');
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const name = decodeURIComponent(rest.slice(slash + 1).split('?')[0] ?? '');
  return name === '' ? null : name;
}

export interface LiveDatabase {
  section: DatabaseSection;
  /** Open while connected; the caller closes it. */
  client: MongoClient | null;
  /** The error met connecting or counting, if any. */
  error?: { code: string; message: string; retryable: boolean };
}

export async function scanDatabase(uri: string | undefined, database: string | undefined, timeoutMs: number): Promise<LiveDatabase> {
  const name = database ?? (uri ? databaseOfUri(uri) : null);
  const section: DatabaseSection = { connected: false, name, uri: uri ? redactMongoUri(uri) : null, collections: {}, total_found: 0 };
  if (!uri) return { section, client: null };
  const problem = mongoUriProblem(uri);
  if (problem) throw new RecoveryError('BAD_OPTIONS', `--source-uri: ${problem}`, { context: { option: '--source-uri' } });
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs, appName: 'rewind-scan' });
  try {
    await client.connect();
    section.connected = true;
    const databases = name !== null ? [name] : (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name).filter((d) => !SYSTEM_DATABASES.has(d)).sort();
    for (const db of databases) {
      const names = (await client.db(db).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((c) => !c.startsWith('system.')).sort();
      for (const coll of names) {
        const count = await client.db(db).collection(coll).countDocuments({});
        section.collections[name !== null ? coll : `${db}.${coll}`] = count;
        section.total_found += count;
      }
    }
    return { section, client };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const what = section.connected ? 'reading' : 'connecting to';
    section.error = `${what} ${section.uri ?? ''}: ${message}`;
    if (!section.connected) {
      await client.close().catch(() => undefined);
      return { section, client: null, error: { code: 'DATABASE_UNREACHABLE', message: `${section.error}: check --source-uri and that the server is up`, retryable: true } };
    }
    return { section, client, error: { code: 'DATABASE_READ_FAILED', message: section.error, retryable: true } };
  }
}

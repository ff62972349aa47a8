/**
 * The MongoDB a benchmark writes to: REWIND_BENCH_MONGODB_URI when set, else
 * the local wire stand-in from the test-server install. Its description goes
 * into the figures' params, so a result always says which server it measured.
 */
import { loadInstallState } from '../../test/harness/install-manifest.js';
import { startMongoStandIn } from '../../test/harness/local-mongo-stand-in.js';

export interface BenchServer {
  uri: string;
  /** Short, for figure names: what the writes went into. */
  name: string;
  description: string;
  stop: () => Promise<void>;
}

/**
 * The server a benchmark runs against: REWIND_BENCH_MONGODB_URI, else the local wire stand-in
 * with `maxHeap` of Java heap (it keeps every document and its never-truncated oplog in memory).
 */
export async function benchServer(maxHeap = '1g'): Promise<BenchServer> {
  const env = process.env.REWIND_BENCH_MONGODB_URI;
  if (env) return { uri: env, name: 'REWIND_BENCH_MONGODB_URI', description: 'REWIND_BENCH_MONGODB_URI', stop: () => Promise.resolve() };
  const installed = (await loadInstallState()).server('mongo-java-server');
  if (!installed.ok) throw new Error(`no MongoDB for the benchmark: set REWIND_BENCH_MONGODB_URI or install the stand-in (${installed.reason})`);
  const running = await startMongoStandIn(installed, { maxHeap });
  return {
    uri: running.server.uri,
    name: 'mongo-java-server',
    description: `mongo-java-server ${running.server.version} (MongoDB wire stand-in, in memory, -Xmx${maxHeap}; not mongod)`,
    stop: running.stop,
  };
}

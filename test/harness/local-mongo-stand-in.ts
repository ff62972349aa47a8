// The local MongoDB wire route: mongo-java-server, in memory, with its oplog
// enabled, launched by deploy/test-servers/mongo-java-server/MongoStandIn.java
// on a port the OS picks (it prints the port; no race for a free one).
// For CRUD only: see ../shared/TEST-INFRA.md for what it may be trusted with.
import type { Installed } from './install-manifest.js';
import { launcherArgs } from './install-manifest.js';
import type { MongoWireServer } from './server-info.js';
import { ServerProcess } from './server-process.js';

const READY_TIMEOUT_MS = 60_000;

export interface RunningStandIn {
  readonly server: MongoWireServer;
  readonly stop: () => Promise<void>;
}

export interface StandInOptions {
  /** Java heap limit (-Xmx), e.g. `8g`; default `1g`. The oplog is never truncated: large benchmarks need room for it. */
  readonly maxHeap?: string;
  /** Keep the data (and the oplog) in this H2 MVStore file instead of the Java heap. */
  readonly h2File?: string;
}

export async function startMongoStandIn(installed: Installed & { ok: true }, options: StandInOptions = {}): Promise<RunningStandIn> {
  const child = new ServerProcess({
    name: 'mongo-java-server',
    command: 'java',
    args: [
      `-Xmx${options.maxHeap ?? '1g'}`,
      '-XX:+UseG1GC',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      ...launcherArgs(installed),
      '0',
      ...(options.h2File === undefined ? [] : [options.h2File]),
    ],
  });
  try {
    const ready = await child.waitForLine(/mongo-stand-in ready ([\d.]+):(\d+) (\S+)/, READY_TIMEOUT_MS);
    const [, host, port, version] = ready;
    return {
      server: {
        available: true,
        kind: 'mongo-java-server',
        version: version === 'unknown' || version === undefined ? installed.version : version,
        uri: `mongodb://${host}:${port}/`,
      },
      stop: () => child.stop(),
    };
  } catch (error) {
    await child.stop(0);
    throw error;
  }
}

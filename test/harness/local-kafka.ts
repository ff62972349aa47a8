// The local Kafka route: a single-node KRaft broker (broker + controller in one
// JVM) from the Maven Central jars install.mjs cached, formatted with a fresh
// cluster id into a temporary log dir and started with `java -cp`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { HarnessError } from './harness-error.js';
import type { Installed } from './install-manifest.js';
import { TEST_SERVERS_DIR, launcherArgs } from './install-manifest.js';
import { waitForKafka } from './kafka-ready.js';
import type { KafkaServer } from './server-info.js';
import { ServerProcess, isAlive, removeOnExit } from './server-process.js';

const READY_TIMEOUT_MS = 60_000;

export interface RunningLocalKafka {
  readonly server: KafkaServer;
  readonly stop: () => Promise<void>;
  /**
   * Stops the broker process and starts it again on the same ports and data:
   * `graceful` lets it shut down in order (SIGTERM), `kill` SIGKILLs it.
   * Resolves once it answers again. For the fault suite, which owns its broker.
   */
  readonly restart: (how: 'graceful' | 'kill') => Promise<void>;
}

export interface LocalKafkaOptions {
  /** Broker properties added to (or overriding) the defaults, e.g. a shorter minimum group session. */
  readonly properties?: Readonly<Record<string, string>>;
}

/** Kafka's Uuid text form: 16 random bytes, URL-safe base64 without padding; Kafka refuses ids starting with '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function serverProperties(logDir: string, port: number, controllerPort: number, extra: Readonly<Record<string, string>>): string {
  const lines = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${join(logDir, 'data')}`,
    // Tests and rewind create their topics; a typo must not create one.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    // One node: internal topics with one replica, so groups and transactions work.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    // Consumer groups start at once instead of waiting 3 s for more members.
    'group.initial.rebalance.delay.ms=0',
  ];
  // A later line of the same key wins in java.util.Properties.
  return [...lines, ...Object.entries(extra).map(([key, value]) => `${key}=${value}`), ''].join('\n');
}

function jvmOptions(logDir: string, heap: string): string[] {
  return [
    `-Xmx${heap}`,
    // C1 only: starts in about half the time on a busy 2-core machine; peak speed does not matter for tests.
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${join(TEST_SERVERS_DIR, 'kafka', 'log4j.properties')}`,
    `-Dkafka.logs.dir=${logDir}`,
  ];
}

const DIR_PREFIX = 'rewind-kafka-';
const OWNER_FILE = 'owner.pid';

/** Removes log dirs left by runs that were SIGKILLed (their owner process is gone), so /tmp does not fill up. */
async function sweepAbandonedDirs(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => []);
  for (const entry of entries.filter((name) => name.startsWith(DIR_PREFIX))) {
    const dir = join(tmpdir(), entry);
    const owner = Number(await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => 'NaN'));
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) await rm(dir, { recursive: true, force: true });
  }
}

export async function startLocalKafka(installed: Installed & { ok: true }, options: LocalKafkaOptions = {}): Promise<RunningLocalKafka> {
  await sweepAbandonedDirs();
  const logDir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  await writeFile(join(logDir, OWNER_FILE), String(process.pid));
  const forget = removeOnExit(logDir);
  const removeLogDir = async (): Promise<void> => {
    forget();
    await rm(logDir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const controllerPort = await freePort();
    const properties = join(logDir, 'server.properties');
    await writeFile(properties, serverProperties(logDir, port, controllerPort, options.properties ?? {}));

    try {
      await promisify(execFile)(
        'java',
        [...jvmOptions(logDir, '256m'), '-cp', join(installed.dir, '*'), 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', properties],
        { timeout: 60_000 },
      );
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      throw new HarnessError('HARNESS_START_FAILED', `kafka: StorageTool format failed: ${failed.stdout ?? ''}${failed.stderr ?? ''}`, {
        cause: error,
        retryable: false,
      });
    }

    const brokers = [`127.0.0.1:${port}`];
    const launch = async (): Promise<ServerProcess> => {
      const broker = new ServerProcess({
        name: 'kafka',
        command: 'java',
        // ExitWithParent ends the broker when this process's end closes its stdin.
        args: [...jvmOptions(logDir, '512m'), ...launcherArgs(installed), 'kafka.Kafka', properties],
      });
      try {
        await waitForKafka(brokers, READY_TIMEOUT_MS, () => broker.running);
      } catch (error) {
        await broker.stop(0);
        const log = await readFile(join(logDir, 'kafka.log'), 'utf8').catch(() => '(no kafka.log)');
        throw broker.startFailure(`did not become ready; kafka.log ends with:\n${log.slice(-4_000)}\n`, error);
      }
      return broker;
    };
    let broker = await launch();
    return {
      server: { available: true, kind: 'local', version: installed.version, brokers },
      async stop() {
        // The data is thrown away: a second for an orderly shutdown, then SIGKILL.
        await broker.stop(1_000);
        await removeLogDir();
      },
      async restart(how) {
        if (how === 'kill') await broker.kill();
        else await broker.stop(30_000);
        broker = await launch();
      },
    };
  } catch (error) {
    // Keep the log dir of a failed start for diagnosis only when asked to.
    if (process.env.REWIND_TEST_KEEP_LOGS === undefined) await removeLogDir();
    else forget();
    throw error;
  }
}

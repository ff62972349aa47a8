// Picks and starts each test server in the order of ../shared/TEST-INFRA.md:
// an address in the environment → testcontainers when a container runtime
// answers → the local route (jars from Maven Central) → unavailable, with the
// reason. Each choice returns the server description plus how to stop it.
import { MONGO_IMAGE, startKafkaContainer, startMongoContainer } from './container-servers.js';
import { probeContainerRuntime } from './container-runtime.js';
import { HarnessError } from './harness-error.js';
import type { InstallState } from './install-manifest.js';
import { waitForKafka } from './kafka-ready.js';
import { startLocalKafka } from './local-kafka.js';
import { startMongoStandIn } from './local-mongo-stand-in.js';
import { s3ProxyLaunch, startS3Proxy } from './local-s3proxy.js';
import { probeMongo } from './mongo-probe.js';
import type { KafkaServer, MongoReplicaServer, MongoWireServer, S3Server, Unavailable } from './server-info.js';
import { unavailable } from './server-info.js';

export interface Chosen<S> {
  readonly server: S | Unavailable;
  readonly stop: () => Promise<void>;
  /** Why an earlier route was passed over (e.g. a container that failed), for the banner. */
  readonly notes: readonly string[];
}

const nothingToStop = (): Promise<void> => Promise.resolve();

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

export async function chooseKafka(install: () => Promise<InstallState>): Promise<Chosen<KafkaServer>> {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    const brokers = fromEnv.split(',').map((broker) => broker.trim()).filter(Boolean);
    try {
      await waitForKafka(brokers, 15_000);
    } catch (error) {
      throw new HarnessError('HARNESS_ENV_SERVER_UNREACHABLE', `KAFKA_BROKERS=${fromEnv} does not answer`, {
        cause: error,
        retryable: true,
      });
    }
    return { server: { available: true, kind: 'env', version: 'unknown', brokers }, stop: nothingToStop, notes: [] };
  }

  const notes: string[] = [];
  const runtime = await probeContainerRuntime();
  if (runtime.ok) {
    try {
      const running = await startKafkaContainer(runtime.host);
      return { server: running.server, stop: running.stop, notes };
    } catch (error) {
      notes.push(`kafka container failed (${describeError(error)}); using the local route`);
    }
  }

  const state = await install();
  const installed = state.server('kafka');
  if (!installed.ok) return { server: unavailable(installed.reason), stop: nothingToStop, notes };
  // A free port can be taken between choosing and binding it: one more try.
  for (let attempt = 1; ; attempt += 1) {
    try {
      const running = await startLocalKafka(installed);
      return { server: running.server, stop: running.stop, notes };
    } catch (error) {
      const retryable = error instanceof HarnessError && error.retryable;
      if (attempt < 2 && retryable) continue;
      console.error(`test servers: the local Kafka broker did not start:\n${describeError(error)}`);
      return { server: unavailable(`the local Kafka broker did not start: ${describeError(error).split('\n')[0]}`), stop: nothingToStop, notes };
    }
  }
}

export interface ChosenMongo {
  readonly wire: MongoWireServer | Unavailable;
  readonly replica: MongoReplicaServer | Unavailable;
  readonly stop: () => Promise<void>;
  readonly notes: readonly string[];
}

export async function chooseMongo(install: () => Promise<InstallState>): Promise<ChosenMongo> {
  const fromEnv = process.env.REWIND_TEST_MONGODB_URI?.trim();
  if (fromEnv) {
    let facts;
    try {
      facts = await probeMongo(fromEnv);
    } catch (error) {
      throw new HarnessError('HARNESS_ENV_SERVER_UNREACHABLE', 'REWIND_TEST_MONGODB_URI does not answer', {
        cause: error,
        retryable: true,
      });
    }
    const real = { available: true, kind: 'env', version: facts.version, uri: fromEnv } as const;
    return {
      wire: real,
      replica: facts.replicaSet !== undefined ? real : unavailable('REWIND_TEST_MONGODB_URI is a standalone server; change streams need a replica set'),
      stop: nothingToStop,
      notes: [],
    };
  }

  const notes: string[] = [];
  const runtime = await probeContainerRuntime();
  if (runtime.ok) {
    try {
      const running = await startMongoContainer();
      return { wire: running.server, replica: running.server, stop: running.stop, notes };
    } catch (error) {
      notes.push(`mongo container failed (${describeError(error)}); using the local route`);
    }
  }

  const replicaReason = runtime.ok
    ? `the ${MONGO_IMAGE} container did not start; set REWIND_TEST_MONGODB_URI`
    : 'no mongod on this machine and no container runtime; set REWIND_TEST_MONGODB_URI to a replica set';
  const state = await install();
  const installed = state.server('mongo-java-server');
  if (!installed.ok) {
    return { wire: unavailable(installed.reason), replica: unavailable(replicaReason), stop: nothingToStop, notes };
  }
  try {
    const running = await startMongoStandIn(installed);
    return { wire: running.server, replica: unavailable(replicaReason), stop: running.stop, notes };
  } catch (error) {
    console.error(`test servers: the MongoDB stand-in did not start:\n${describeError(error)}`);
    return {
      wire: unavailable(`the mongo-java-server stand-in did not start: ${describeError(error).split('\n')[0]}`),
      replica: unavailable(replicaReason),
      stop: nothingToStop,
      notes,
    };
  }
}

/**
 * An S3-compatible server: REWIND_TEST_S3_ENDPOINT (with REWIND_TEST_S3_ACCESS_KEY_ID,
 * REWIND_TEST_S3_SECRET_ACCESS_KEY, optional REWIND_TEST_S3_REGION; path-style; the tests
 * create their own buckets) → s3proxy from the local jars → unavailable. No container
 * route: the one S3 server image worth having (MinIO) is AGPL, and s3proxy runs from jars.
 */
export async function chooseS3(install: () => Promise<InstallState>): Promise<Chosen<S3Server>> {
  const endpoint = process.env.REWIND_TEST_S3_ENDPOINT?.trim();
  if (endpoint) {
    const accessKeyId = process.env.REWIND_TEST_S3_ACCESS_KEY_ID ?? '';
    const secretAccessKey = process.env.REWIND_TEST_S3_SECRET_ACCESS_KEY ?? '';
    if (!accessKeyId || !secretAccessKey) {
      throw new HarnessError('HARNESS_ENV_SERVER_UNREACHABLE', 'REWIND_TEST_S3_ENDPOINT needs REWIND_TEST_S3_ACCESS_KEY_ID and REWIND_TEST_S3_SECRET_ACCESS_KEY', {
        retryable: false,
      });
    }
    const server: S3Server = { available: true, kind: 'env', version: 'unknown', endpoint, region: process.env.REWIND_TEST_S3_REGION ?? 'us-east-1', accessKeyId, secretAccessKey };
    return { server, stop: nothingToStop, notes: [] };
  }
  const state = await install();
  const installed = state.server('s3proxy');
  if (!installed.ok) return { server: unavailable(installed.reason), stop: nothingToStop, notes: [] };
  try {
    const running = await startS3Proxy(s3ProxyLaunch(installed));
    return { server: running.server, stop: () => running.stop(), notes: [] };
  } catch (error) {
    console.error(`test servers: s3proxy did not start:\n${describeError(error)}`);
    return { server: unavailable(`s3proxy did not start: ${describeError(error).split('\n')[0]}`), stop: nothingToStop, notes: [] };
  }
}

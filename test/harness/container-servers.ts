// The container route (laptops and ordinary CI with Docker or Podman): an
// Apache Kafka KRaft broker and a single-node MongoDB 8 replica set, through
// testcontainers. Not exercised on the machines without a container engine;
// docker-compose.yml at the top level runs the same two servers by hand.
import { freePort } from './free-port.js';
import { HarnessError } from './harness-error.js';
import { waitForKafka } from './kafka-ready.js';
import { probeMongo } from './mongo-probe.js';
import type { KafkaServer, MongoReplicaServer } from './server-info.js';

/** apache/kafka tag used for containers (the local route uses the pom's newest 3.9.x). */
export const KAFKA_IMAGE = 'apache/kafka:3.9.1';
export const MONGO_IMAGE = 'mongo:8';
const STARTUP_TIMEOUT_MS = 180_000;

export interface RunningContainer<S> {
  readonly server: S;
  readonly stop: () => Promise<void>;
}

export async function startKafkaContainer(host: string): Promise<RunningContainer<KafkaServer>> {
  const { GenericContainer, Wait } = await import('testcontainers');
  // The broker must advertise the address clients use, which is only known
  // before start if the host port is chosen here and mapped to the same port.
  const port = await freePort();
  try {
    const container = await new GenericContainer(KAFKA_IMAGE)
      .withExposedPorts({ container: port, host: port })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_LISTENERS: `PLAINTEXT://:${port},CONTROLLER://:9093`,
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${port}`,
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .withStartupTimeout(STARTUP_TIMEOUT_MS)
      .start();
    const brokers = [`${host}:${port}`];
    try {
      await waitForKafka(brokers, 60_000);
    } catch (error) {
      await container.stop();
      throw error;
    }
    return {
      server: { available: true, kind: 'container', version: KAFKA_IMAGE.split(':')[1] ?? 'unknown', brokers },
      stop: async () => {
        await container.stop();
      },
    };
  } catch (error) {
    throw new HarnessError('HARNESS_CONTAINER_FAILED', `kafka: ${KAFKA_IMAGE} did not start`, { cause: error, retryable: true });
  }
}

export async function startMongoContainer(): Promise<RunningContainer<MongoReplicaServer>> {
  const { GenericContainer, Wait } = await import('testcontainers');
  try {
    const container = await new GenericContainer(MONGO_IMAGE)
      .withCommand(['--replSet', 'rs0', '--bind_ip_all'])
      .withExposedPorts(27017)
      .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
      .withStartupTimeout(STARTUP_TIMEOUT_MS)
      .start();
    try {
      // The member's own name is only used inside the container; clients connect directly.
      const initiated = await container.exec([
        'mongosh',
        '--quiet',
        '--eval',
        "rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'localhost:27017' }] })",
      ]);
      if (initiated.exitCode !== 0) throw new Error(`rs.initiate failed: ${initiated.output}`);
      const uri = `mongodb://${container.getHost()}:${container.getMappedPort(27017)}/?directConnection=true`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const facts = await probeMongo(uri);
        if (facts.writablePrimary) {
          return {
            server: { available: true, kind: 'container', version: facts.version, uri },
            stop: async () => {
              await container.stop();
            },
          };
        }
        if (Date.now() > deadline) throw new Error('the replica set elected no primary within 60 s');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } catch (error) {
      await container.stop();
      throw error;
    }
  } catch (error) {
    throw new HarnessError('HARNESS_CONTAINER_FAILED', `mongo: ${MONGO_IMAGE} replica set did not start`, {
      cause: error,
      retryable: true,
    });
  }
}

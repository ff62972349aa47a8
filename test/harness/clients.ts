// Clients for a test server, with the settings tests want: kafkajs quiet
// unless REWIND_TEST_KAFKAJS_LOG asks for more, short timeouts so a missing
// server fails a test quickly instead of hanging it.
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig } from 'kafkajs';
import { MongoClient } from 'mongodb';
import type { MongoClientOptions } from 'mongodb';
import type { KafkaServer, MongoReplicaServer, MongoWireServer } from './server-info.js';

const KAFKAJS_LEVELS: Readonly<Record<string, logLevel>> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

export function kafkaClient(server: KafkaServer, config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'rewind-test',
    brokers: [...server.brokers],
    logLevel: KAFKAJS_LEVELS[process.env.REWIND_TEST_KAFKAJS_LOG ?? 'nothing'] ?? logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: 5, initialRetryTime: 100 },
    ...config,
  });
}

/**
 * A driver client for a wire server or replica set. Nothing special is needed
 * for mongo-java-server: it does not announce logicalSessionTimeoutMinutes, so
 * the driver sends no implicit session (lsid) and does not retry writes. An
 * explicit session (startSession/withSession) throws MongoCompatibilityError
 * there; tests that need sessions must use mongoReplica().
 */
export function mongoClient(server: MongoWireServer | MongoReplicaServer, options: MongoClientOptions = {}): MongoClient {
  return new MongoClient(server.uri, { serverSelectionTimeoutMS: 10_000, ...options });
}

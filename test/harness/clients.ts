// Clients for a test server, with the settings tests want: kafkajs quiet
// unless REWIND_TEST_KAFKAJS_LOG asks for more, short timeouts so a missing
// server fails a test quickly instead of hanging it.
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig } from 'kafkajs';
import { MongoClient } from 'mongodb';
import type { MongoClientOptions } from 'mongodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { KafkaServer, MongoReplicaServer, MongoWireServer, S3Server } from './server-info.js';

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

/** An S3 client for the test server (path-style, its key pair), plus a helper that creates a bucket. */
export function s3TestClient(server: S3Server): { client: S3Client; credentials: { accessKeyId: string; secretAccessKey: string }; createBucket: (name: string) => Promise<void> } {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const credentials = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
  const client = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials });
  return {
    client,
    credentials,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
  };
}

/**
 * The test-server harness: real Kafka and MongoDB servers for rewind's tests.
 *
 * Started once per `vitest run` by ./global-setup.ts (wired in vitest.config.ts),
 * on free loopback ports, and stopped at the end, also when tests fail or the
 * run is interrupted. For each server, in this order (../shared/TEST-INFRA.md):
 *   1. the environment: KAFKA_BROKERS (comma-separated host:port),
 *      REWIND_TEST_MONGODB_URI (a real MongoDB; a replica set for mongoReplica()),
 *   2. testcontainers, when a container runtime answers (apache/kafka KRaft,
 *      mongo:8 as a one-node replica set),
 *   3. the local route: Kafka 3.9.x and mongo-java-server from Maven Central
 *      jars (deploy/test-servers, installed by `npm run test:servers`),
 *   4. none: tests that need it are skipped, with the reason.
 * REWIND_TEST_NO_CONTAINERS=1 skips step 2.
 *
 * Use in a test file:
 *
 *   import { describeWith, kafkaClient, mongoClient, uniqueTopic, uniqueDatabase } from '../../test/harness/index.js';
 *
 *   describeWith('kafka', 'event log on Kafka', (server) => {
 *     it('...', async () => { const kafka = kafkaClient(server); const topic = uniqueTopic('eventlog'); ... });
 *   });
 *   describeWith('wire', 'restore writes', (server) => { ... mongoClient(server) ... uniqueDatabase('restore') ... });
 *   describeWith('replica', 'change streams', (server) => { ... });
 *
 * Needs: 'kafka' → KafkaServer { kind: 'env'|'container'|'local', version, brokers };
 *        'wire' → MongoWireServer { kind: 'env'|'container'|'mongo-java-server', version, uri }
 *                 (CRUD only; with kind 'mongo-java-server' mind the stand-in's
 *                 differences in TEST-INFRA.md: no sessions, no transactions, field order);
 *        'replica' → MongoReplicaServer { kind: 'env'|'container', version, uri } (a real replica set only);
 *        's3' → S3Server { kind: 'env'|'local', version, endpoint, region, accessKeyId, secretAccessKey }
 *               (s3proxy with its filesystem backend, path-style; `launch` starts a private one
 *               for tests that restart their server: startS3Proxy(server.launch, ...)).
 * Read server fields inside hooks and tests, not in the describe body: when the
 * server is missing the body still runs (to register the skipped tests) and
 * receives a stand-in object that throws on any field access.
 *
 * kafka(), mongoWire(), mongoReplica() return the server or { available: false, reason }
 * for tests that decide for themselves; itWith(need, name, fn) is describeWith for one test.
 * uniqueTopic(label) / uniqueDatabase(label) give each test names no other test uses.
 * kafkaClient(server) / mongoClient(server) build clients with test-friendly settings.
 */
export { describeWith, itWith } from './describe-with.js';
export { kafka, mongoReplica, mongoWire, s3 } from './servers.js';
export { kafkaClient, mongoClient } from './clients.js';
export { uniqueBucket, uniqueDatabase, uniqueTopic } from './unique-names.js';
export { s3TestClient } from './clients.js';
export { startS3Proxy } from './local-s3proxy.js';
export type { KafkaServer, MongoReplicaServer, MongoWireServer, S3Server, ServerNeed, Unavailable } from './server-info.js';

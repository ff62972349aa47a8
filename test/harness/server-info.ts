// What the global setup hands to test files (through vitest's provide/inject):
// for each kind of server either its address, kind and version, or the reason
// it is missing. Plain JSON, since it crosses into the test workers.

/** What a test needs: a Kafka broker, a MongoDB wire server for CRUD, a real replica set, or an S3-compatible server. */
export type ServerNeed = 'kafka' | 'wire' | 'replica' | 's3';

export interface Unavailable {
  readonly available: false;
  /** Why the server is missing, e.g. `no mongod on this machine; set REWIND_TEST_MONGODB_URI`. */
  readonly reason: string;
}

export interface KafkaServer {
  readonly available: true;
  /** env: KAFKA_BROKERS; container: testcontainers; local: the broker from Maven Central jars. */
  readonly kind: 'env' | 'container' | 'local';
  /** Broker version, or `unknown` for KAFKA_BROKERS (kafkajs cannot ask a broker its version). */
  readonly version: string;
  readonly brokers: readonly string[];
}

export interface MongoWireServer {
  readonly available: true;
  /**
   * env / container: a real MongoDB. mongo-java-server: the CRUD stand-in, with the
   * differences listed in ../shared/TEST-INFRA.md (no sessions, no transactions, ...).
   */
  readonly kind: 'env' | 'container' | 'mongo-java-server';
  /** MongoDB's version (buildInfo), or mongo-java-server's own version for the stand-in. */
  readonly version: string;
  readonly uri: string;
}

export interface MongoReplicaServer {
  readonly available: true;
  /** Only a real MongoDB replica set: change streams, transactions, pre/post images. */
  readonly kind: 'env' | 'container';
  readonly version: string;
  readonly uri: string;
}

export interface S3Server {
  readonly available: true;
  /** env: REWIND_TEST_S3_ENDPOINT; local: s3proxy from Maven Central jars (filesystem backend). */
  readonly kind: 'env' | 'local';
  /** s3proxy's version, or `unknown` for a server named in the environment. */
  readonly version: string;
  /** http://host:port, addressed path-style. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** How to start a private s3proxy (tests that stop and restart a server); absent for kind `env`. */
  readonly launch?: { readonly version: string; readonly javaArgs: readonly string[] };
}

export interface TestServers {
  readonly kafka: KafkaServer | Unavailable;
  readonly wire: MongoWireServer | Unavailable;
  readonly replica: MongoReplicaServer | Unavailable;
  readonly s3: S3Server | Unavailable;
}

/** The server type each need resolves to. */
export interface ServerFor {
  kafka: KafkaServer;
  wire: MongoWireServer;
  replica: MongoReplicaServer;
  s3: S3Server;
}

/** Names used in printed lines: the banner and the skip summary. */
export const NEED_LABELS: Readonly<Record<ServerNeed, string>> = {
  kafka: 'kafka',
  wire: 'mongo-wire',
  replica: 'mongo-replica',
  s3: 's3',
};

export const TEST_SERVERS_KEY = 'rewindTestServers';

declare module 'vitest' {
  export interface ProvidedContext {
    rewindTestServers: TestServers;
  }
}

export function unavailable(reason: string): Unavailable {
  return { available: false, reason };
}

/** One line naming each server with kind and version, printed when a run starts. */
export function formatBanner(servers: TestServers): string {
  const part = (need: ServerNeed): string => {
    const server = servers[need];
    const label = NEED_LABELS[need];
    return server.available ? `${label}: ${server.kind} ${server.version}` : `${label}: none (${server.reason})`;
  };
  return (['kafka', 'wire', 'replica', 's3'] as const).map(part).join(' · ');
}

// Test-file side of the harness: the servers the global setup found, read
// through vitest's inject().
import { inject } from 'vitest';
import type { KafkaServer, MongoReplicaServer, MongoWireServer, S3Server, ServerFor, ServerNeed, TestServers, Unavailable } from './server-info.js';
import { NEED_LABELS, TEST_SERVERS_KEY, unavailable } from './server-info.js';

const NO_SETUP = 'the harness global setup did not run (run vitest with the project vitest.config.ts)';

function servers(): TestServers {
  const provided = inject(TEST_SERVERS_KEY) as TestServers | undefined;
  return provided ?? { kafka: unavailable(NO_SETUP), wire: unavailable(NO_SETUP), replica: unavailable(NO_SETUP), s3: unavailable(NO_SETUP) };
}

/** The Kafka broker of this run, or why there is none. */
export function kafka(): KafkaServer | Unavailable {
  return servers().kafka;
}

/** A MongoDB wire server for CRUD: a real MongoDB when one is given, otherwise mongo-java-server. */
export function mongoWire(): MongoWireServer | Unavailable {
  return servers().wire;
}

/** A real MongoDB replica set (change streams, transactions), or why there is none. */
export function mongoReplica(): MongoReplicaServer | Unavailable {
  return servers().replica;
}

/** An S3-compatible server (path-style), or why there is none. */
export function s3(): S3Server | Unavailable {
  return servers().s3;
}

export function server<N extends ServerNeed>(need: N): ServerFor[N] | Unavailable {
  return servers()[need] as ServerFor[N] | Unavailable;
}

/** The skip reason as printed in the run's summary, e.g. `mongo-replica: none (no mongod ...)`. */
export function skipReason(need: ServerNeed, missing: Unavailable): string {
  return `${NEED_LABELS[need]}: none (${missing.reason})`;
}

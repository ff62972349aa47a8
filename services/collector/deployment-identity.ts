/**
 * Asks a MongoDB deployment what it is, for the catalog (at capture time) and
 * for restore's "is this target the captured source?" (contracts/
 * deployment-identity.ts compares the answers):
 *
 * - `hello` (falling back to the legacy `isMaster` on servers and wire
 *   stand-ins that know only it) says a replica set member's `setName`, or
 *   `msg: "isdbgrid"` on a mongos;
 * - a replica set's id is `replSetGetConfig`'s `config.settings.replicaSetId`,
 *   an ObjectId the set gets when it is initiated (MongoDB manual, "Replica
 *   Set Configuration"): a set rebuilt under the same name gets another one;
 * - a sharded cluster's id is the `clusterId` of the one document in
 *   `config.version` (shown by sh.status() as "sharding version").
 *
 * Reading the configuration needs clusterMonitor-like rights; when it is
 * refused the identity keeps what hello said (the set's name) and restore
 * treats it as not fully known. A server without a set name that is not a
 * mongos is a standalone.
 */
import type { Document, MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { describeDeployment, isIdentifying } from '../../contracts/index.js';
import type { DeploymentIdentity } from '../../contracts/index.js';
import type { LogProducer } from '../eventlog/event-log.js';

/** An ObjectId from the driver as hex, without testing it against a class of another bson copy. */
function objectIdHex(value: unknown): string | undefined {
  const v = value as { toHexString?: () => string } | null | undefined;
  const hex = typeof v?.toHexString === 'function' ? v.toHexString() : undefined;
  return hex !== undefined && /^[0-9a-f]{24}$/.test(hex) ? hex : undefined;
}

/** The identity in the replies as documented: hello (or isMaster), replSetGetConfig, config.version. */
export function identityFromReplies(hello: Document, replSetConfig: Document | null, configVersion: Document | null): DeploymentIdentity {
  if (hello.msg === 'isdbgrid') {
    const clusterId = objectIdHex(configVersion?.clusterId);
    return clusterId ? { kind: 'sharded', clusterId } : { kind: 'sharded' };
  }
  if (typeof hello.setName === 'string' && hello.setName !== '') {
    const config = replSetConfig?.config as Document | undefined;
    const replicaSetId = objectIdHex((config?.settings as Document | undefined)?.replicaSetId);
    return replicaSetId ? { kind: 'replica-set', setName: hello.setName, replicaSetId } : { kind: 'replica-set', setName: hello.setName };
  }
  return { kind: 'standalone' };
}

/** Asks the deployment behind `client` (connected or not) what it is; never throws. */
export async function readDeploymentIdentity(client: MongoClient): Promise<DeploymentIdentity> {
  const admin = client.db('admin');
  let hello: Document;
  try {
    hello = await admin.command({ hello: 1 });
  } catch (err) {
    // Unreachable: asking again with the legacy command would only wait as long once more.
    if ((err as { name?: unknown }).name === 'MongoServerSelectionError') {
      return { kind: 'unknown', reason: `the server cannot be reached: ${(err as Error).message}` };
    }
    try {
      hello = await admin.command({ isMaster: 1 });
    } catch (err) {
      return { kind: 'unknown', reason: `hello and isMaster failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  let replSetConfig: Document | null = null;
  let configVersion: Document | null = null;
  if (hello.msg === 'isdbgrid') {
    configVersion = await client.db('config').collection('version').findOne({}).catch(() => null);
  } else if (typeof hello.setName === 'string') {
    replSetConfig = await admin.command({ replSetGetConfig: 1 }).catch(() => null);
  }
  return identityFromReplies(hello, replSetConfig, configVersion);
}

/**
 * Capture start: tells the archiver (through the event log, so that it also
 * reaches an archiver on another machine) what the source deployment is, for
 * the catalog. A source that cannot be identified now is logged and capture
 * goes on: restores from that archive then treat every target as possibly
 * the source, and say so.
 */
export async function announceDeployment(client: MongoClient, producer: LogProducer, log: Logger, timeoutMs = 5000): Promise<DeploymentIdentity> {
  // Capture never waits long for this: a source down at start is identified at the next start.
  let timer: NodeJS.Timeout | undefined;
  const identity = await Promise.race([
    readDeploymentIdentity(client),
    new Promise<DeploymentIdentity>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'unknown', reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  if (!isIdentifying(identity)) {
    log.warn({ deployment: describeDeployment(identity) }, 'the source deployment could not be identified; restores from this archive will ask for --yes-overwrite-source for every target');
    return identity;
  }
  await producer.publish([{ kind: 'source', deployment: identity }]);
  log.info({ deployment: describeDeployment(identity) }, 'source deployment identified');
  return identity;
}

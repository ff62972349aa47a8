/**
 * Comparing deployments by what they say about themselves (the shapes are in
 * catalog.ts). Two identities are the same deployment only when their ids
 * match; ids that differ, or replica set names that differ, are different
 * deployments; anything less (a standalone, a server that refused to show
 * its replica set configuration, two sets both named rs0 without ids) is
 * 'unknown', and callers must treat unknown as "might be the same".
 */
import type { CapturedDeployment, DeploymentIdentity } from './catalog.js';

export type DeploymentMatch = 'same' | 'different' | 'unknown';

export function compareDeployments(a: DeploymentIdentity, b: DeploymentIdentity): DeploymentMatch {
  if (a.kind === 'replica-set' && b.kind === 'replica-set') {
    if (a.replicaSetId && b.replicaSetId) return a.replicaSetId === b.replicaSetId && a.setName === b.setName ? 'same' : 'different';
    return a.setName === b.setName ? 'unknown' : 'different';
  }
  if (a.kind === 'sharded' && b.kind === 'sharded') {
    if (a.clusterId && b.clusterId) return a.clusterId === b.clusterId ? 'same' : 'different';
    return 'unknown';
  }
  // A replica set and a sharded cluster, both identified, are two deployments (a shard's own set is not its cluster).
  const identified = (x: DeploymentIdentity) => (x.kind === 'replica-set' && x.replicaSetId !== undefined) || (x.kind === 'sharded' && x.clusterId !== undefined);
  if (identified(a) && identified(b)) return 'different';
  return 'unknown';
}

/** The target against every deployment an archive captured: same if any is, different only if all are. */
export function compareWithCaptured(target: DeploymentIdentity, captured: readonly CapturedDeployment[]): DeploymentMatch {
  if (captured.length === 0) return 'unknown';
  const matches = captured.map((c) => compareDeployments(target, c.identity));
  if (matches.includes('same')) return 'same';
  return matches.every((m) => m === 'different') ? 'different' : 'unknown';
}

/** Whether an identity can tell deployments apart at all (what is worth recording in a catalog). */
export function isIdentifying(identity: DeploymentIdentity): boolean {
  return identity.kind === 'replica-set' || (identity.kind === 'sharded' && identity.clusterId !== undefined);
}

export function describeDeployment(identity: DeploymentIdentity): string {
  switch (identity.kind) {
    case 'replica-set':
      return `replica set ${JSON.stringify(identity.setName)}${identity.replicaSetId ? ` (replicaSetId ${identity.replicaSetId})` : ' (its replicaSetId could not be read)'}`;
    case 'sharded':
      return `sharded cluster${identity.clusterId ? ` ${identity.clusterId}` : ' (its clusterId could not be read)'}`;
    case 'standalone':
      return 'a standalone server (no replica set name or id)';
    case 'unknown':
      return `a deployment that could not be identified (${identity.reason})`;
  }
}

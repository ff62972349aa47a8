/**
 * Deployment identity from the replies as MongoDB documents them: hello (or
 * the legacy isMaster) of a replica set member, of a mongos and of a
 * standalone; replSetGetConfig's config.settings.replicaSetId (manual,
 * "Replica Set Configuration"); the config.version document's clusterId
 * (manual, sh.status() "sharding version"). The stand-in answers as a
 * standalone (TEST-INFRA.md), checked in test/e2e/restore/target-identity.test.ts.
 */
import { ObjectId } from '../../contracts/bson.js';
import { describe, expect, it } from 'vitest';
import { compareDeployments, compareWithCaptured } from '../../contracts/index.js';
import type { DeploymentIdentity } from '../../contracts/index.js';
import { placeTarget } from '../restore/target-placement.js';
import { identityFromReplies } from './deployment-identity.js';

const rsId = new ObjectId('65f0c0ffee00000000000001');
const clusterId = new ObjectId('65f0c0ffee000000000000aa');
const member = { isWritablePrimary: true, setName: 'rs0', setVersion: 3, hosts: ['a:27017', 'b:27017'], me: 'a:27017', ok: 1 };
const rsConfig = { config: { _id: 'rs0', version: 3, members: [{ _id: 0, host: 'a:27017' }], settings: { chainingAllowed: true, replicaSetId: rsId } }, ok: 1 };

describe('what a deployment says it is', () => {
  it('reads a replica set, a sharded cluster and a standalone from their replies', () => {
    expect(identityFromReplies(member, rsConfig, null)).toEqual({ kind: 'replica-set', setName: 'rs0', replicaSetId: '65f0c0ffee00000000000001' });
    // replSetGetConfig refused (no clusterMonitor rights): the name is all there is.
    expect(identityFromReplies(member, null, null)).toEqual({ kind: 'replica-set', setName: 'rs0' });
    const mongos = { isWritablePrimary: true, msg: 'isdbgrid', ok: 1 };
    expect(identityFromReplies(mongos, null, { _id: 1, minCompatibleVersion: 5, currentVersion: 6, clusterId })).toEqual({ kind: 'sharded', clusterId: '65f0c0ffee000000000000aa' });
    expect(identityFromReplies(mongos, null, null)).toEqual({ kind: 'sharded' });
    // The legacy isMaster of a standalone (what the wire stand-in answers).
    expect(identityFromReplies({ ismaster: true, maxBsonObjectSize: 16_777_216, ok: 1 }, null, null)).toEqual({ kind: 'standalone' });
  });

  it('compares by ids, never by names alone', () => {
    const a: DeploymentIdentity = { kind: 'replica-set', setName: 'rs0', replicaSetId: '65f0c0ffee00000000000001' };
    const rebuilt: DeploymentIdentity = { kind: 'replica-set', setName: 'rs0', replicaSetId: '65f0c0ffee00000000000002' };
    expect(compareDeployments(a, { ...a })).toBe('same');
    expect(compareDeployments(a, rebuilt)).toBe('different');
    expect(compareDeployments(a, { kind: 'replica-set', setName: 'rs0' })).toBe('unknown');
    expect(compareDeployments(a, { kind: 'replica-set', setName: 'rs1' })).toBe('different');
    expect(compareDeployments(a, { kind: 'standalone' })).toBe('unknown');
    expect(compareDeployments(a, { kind: 'sharded', clusterId: '65f0c0ffee000000000000aa' })).toBe('different');
    expect(compareDeployments({ kind: 'sharded', clusterId: '65f0c0ffee000000000000aa' }, { kind: 'sharded' })).toBe('unknown');
    expect(compareWithCaptured(a, [])).toBe('unknown');
  });

  it('places a target: in place by identity, elsewhere only when every captured identity differs, and says why', () => {
    const captured = [{ identity: { kind: 'replica-set' as const, setName: 'rs0', replicaSetId: '65f0c0ffee00000000000001' }, firstSeenAt: '2026-12-01T00:00:00.000Z' }];
    const same = placeTarget({ targetGiven: true, target: { kind: 'replica-set', setName: 'rs0', replicaSetId: '65f0c0ffee00000000000001' }, captured });
    expect(same).toMatchObject({ inPlace: true, match: 'same' });
    expect(same.reason).toMatch(/the target is replica set "rs0" \(replicaSetId 65f0c0ffee00000000000001\), the deployment this archive captured/);
    expect(placeTarget({ targetGiven: true, target: { kind: 'replica-set', setName: 'rs1', replicaSetId: '65f0c0ffee00000000000009' }, captured })).toMatchObject({ inPlace: false, match: 'different' });
    const standalone = placeTarget({ targetGiven: true, target: { kind: 'standalone' }, captured });
    expect(standalone).toMatchObject({ inPlace: true, match: 'unknown' });
    expect(standalone.reason).toMatch(/a standalone server .* cannot tell whether it is the captured replica set "rs0"/);
    const noRecord = placeTarget({ targetGiven: true, target: { kind: 'replica-set', setName: 'rs9', replicaSetId: '65f0c0ffee00000000000009' }, captured: [] });
    expect(noRecord).toMatchObject({ inPlace: true, match: 'unknown' });
    expect(noRecord.reason).toMatch(/recorded no identity of its source/);
    expect(placeTarget({ targetGiven: false, target: { kind: 'standalone' }, captured })).toMatchObject({ inPlace: true, match: 'requested' });
  });
});

/**
 * Is the restore's target the captured source? Decided by what the target
 * says about itself (services/collector/deployment-identity.ts) against the
 * deployments the archive recorded at capture time, never by URI text
 * (`mongodb://h:p/` and `mongodb://h:p`, a localhost alias or an added
 * `?appName=x` all named the live source and passed).
 *
 * Without --target the restore is in place by request. With one, the target
 * is the source when an identity matches, another deployment when every one
 * differs, and otherwise (a standalone, rights too small to read the replica
 * set id, an archive that recorded no identity) possibly the source: writing
 * into captured namespaces then needs --yes-overwrite-source, and the
 * refusal says which identity was missing.
 */
import { compareWithCaptured, describeDeployment } from '../../contracts/index.js';
import type { CapturedDeployment, DeploymentIdentity, DeploymentMatch } from '../../contracts/index.js';

export interface TargetPlacement {
  inPlace: boolean;
  /** 'requested': no --target was given. */
  match: DeploymentMatch | 'requested';
  reason: string;
  deployment: string;
}

export function placeTarget(o: { targetGiven: boolean; target: DeploymentIdentity; captured: readonly CapturedDeployment[] }): TargetPlacement {
  const deployment = describeDeployment(o.target);
  if (!o.targetGiven) return { inPlace: true, match: 'requested', reason: 'no --target was given: the restore writes into the source (--source / REWIND_SOURCE_URI)', deployment };
  const match = compareWithCaptured(o.target, o.captured);
  const captured = o.captured.map((c) => describeDeployment(c.identity)).join(' or ');
  switch (match) {
    case 'same':
      return { inPlace: true, match, reason: `the target is ${deployment}, the deployment this archive captured`, deployment };
    case 'different':
      return { inPlace: false, match, reason: `the target is ${deployment}, not the captured ${captured}`, deployment };
    case 'unknown':
      return {
        inPlace: true,
        match,
        reason:
          o.captured.length === 0
            ? `the archive recorded no identity of its source (captured before rewind recorded one, or the source could not be identified then), so rewind cannot tell whether the target (${deployment}) is the source`
            : `the target is ${deployment}, so rewind cannot tell whether it is the captured ${captured}`,
        deployment,
      };
  }
}

import type { LeaderElectionRecord } from '@kubekit/leaderelection';

/** A record held by `holderIdentity` for `leaseDurationSeconds`, without times. */
export function leaderRecord(
  holderIdentity: string,
  leaseDurationSeconds = 15,
  leaseTransitions = 3,
): LeaderElectionRecord {
  return {
    holderIdentity,
    leaseDurationSeconds,
    acquireTime: undefined,
    renewTime: undefined,
    leaseTransitions,
  };
}

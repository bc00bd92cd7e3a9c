import type { LeaderElectionRecord } from '../locks/leader-election-record.js';
import { storedExactly } from './own-records.js';

/** The record a release writes: an empty holder, the term's epoch, and `at` as both times. */
export function releaseRecord(epoch: number, at: Date): LeaderElectionRecord {
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: at,
    renewTime: at,
    leaseTransitions: epoch,
  };
}

/**
 * Whether `read` (a record read back from the lock) is the release `sent`, exactly: empty holder,
 * same epoch and duration, and both times stored to the millisecond with a fraction kept (see
 * {@link storedExactly}). A release names no holder, so its times are all that tells it from another
 * writer's release of the same epoch. A lock that stores whole seconds (client-go's annotation
 * format) cannot tell them apart within a second, so there no release is ever recognised: the
 * answer is then that the release may not be this replica's, which is the safe one.
 */
export function isReleaseRecord(read: LeaderElectionRecord | undefined, sent: LeaderElectionRecord): boolean {
  if (read?.holderIdentity !== '' || sent.holderIdentity !== '') return false;
  if (read.leaseTransitions !== sent.leaseTransitions) return false;
  if (read.leaseDurationSeconds !== sent.leaseDurationSeconds) return false;
  const times = [
    [read.acquireTime, sent.acquireTime],
    [read.renewTime, sent.renewTime],
  ] as const;
  return times.every(
    ([stored, written]) => stored !== undefined && written !== undefined && storedExactly(stored, written),
  );
}

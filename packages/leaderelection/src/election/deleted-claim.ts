import type { LeaderElectionRecord } from '../locks/leader-election-record.js';
import { hasValidHolder } from '../locks/leader-election-record.js';
import type { LockSnapshot } from '../locks/lock.js';
import type { Observation } from './lock-observer.js';

/**
 * A valid holder whose record was deleted: it may lead until `until` (on this replica's clock), and
 * a record written later by someone who cannot have known of it (an epoch not above `epoch`: created
 * over the absence by a replica that never saw the lock) does not end that claim, nor does its
 * release.
 */
export interface DeletedClaim {
  readonly holder: string;
  /** The holder's epoch. */
  readonly holderEpoch: number;
  /** The holder's record, as last seen before its deletion. */
  readonly record: LeaderElectionRecord;
  /** The highest epoch this replica had seen when it saw the deletion. */
  readonly epoch: number;
  leaseMs: number;
  until: number;
}

/** What {@link nextDeletedClaims} needs of the observer. */
export interface DeletionContext {
  /** Now, on this replica's clock. */
  readonly now: number;
  /** The highest epoch this replica has seen. */
  readonly highestEpoch: number;
  /**
   * Whether a deleted record makes no claim of this kind: this replica's own record for the claims
   * of others (its own claim is not waited out); for the claim of a record taken for its own while
   * its write was in flight, any other record.
   */
  ignores(record: LeaderElectionRecord): boolean;
}

/**
 * The {@link DeletedClaim}s brought up to date with a newly accepted observation (`snapshot`, seen
 * at `at`; `previous` is the observation before it). A claim lives on through further absences and
 * unaware records (each absence extends every claim: its holder may have re-created the lock unseen
 * meanwhile); only that holder's own term's record, a record with a higher epoch, or its lapse ends
 * it. An unaware record's holder leads too: when that record is deleted in turn, it gets a claim of
 * its own, which the first holder's record coming back (or its release) does not end.
 */
export function nextDeletedClaims(
  current: readonly DeletedClaim[],
  previous: Observation | undefined,
  snapshot: LockSnapshot | undefined,
  at: number,
  context: DeletionContext,
): DeletedClaim[] {
  const claims = current.filter((claim) => context.now < claim.until);
  if (snapshot === undefined) {
    for (const claim of claims) claim.until = Math.max(claim.until, at + claim.leaseMs);
    const before = previous?.snapshot?.record;
    if (!hasValidHolder(before) || context.ignores(before)) return claims;
    const leaseMs = before.leaseDurationSeconds * 1000;
    const same = claims.find(
      (claim) => claim.holder === before.holderIdentity && claim.holderEpoch === before.leaseTransitions,
    );
    if (same !== undefined) {
      same.leaseMs = Math.max(same.leaseMs, leaseMs);
      same.until = Math.max(same.until, at + same.leaseMs);
      return claims;
    }
    claims.push({
      holder: before.holderIdentity,
      holderEpoch: before.leaseTransitions,
      record: before,
      epoch: context.highestEpoch,
      leaseMs,
      until: at + leaseMs,
    });
    return claims;
  }
  const record = snapshot.record;
  if (record === undefined) return claims;
  // An aware writer, or the holder itself: the usual rules apply again (for that holder).
  return claims.filter(
    (claim) =>
      !(
        record.leaseTransitions > claim.epoch ||
        (record.holderIdentity === claim.holder && record.leaseTransitions === claim.holderEpoch)
      ),
  );
}

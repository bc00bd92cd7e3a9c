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

/** What {@link nextDeletedClaim} needs of the observer. */
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
 * {@link DeletedClaim} brought up to date with a newly accepted observation (`snapshot`, seen at
 * `at`; `previous` is the observation before it). A claim lives on through further absences and
 * unaware records (each absence extends it: the holder may have re-created the lock unseen
 * meanwhile); only that holder's own term's record, a record with a higher epoch, or its lapse ends
 * it.
 */
export function nextDeletedClaim(
  current: DeletedClaim | undefined,
  previous: Observation | undefined,
  snapshot: LockSnapshot | undefined,
  at: number,
  context: DeletionContext,
): DeletedClaim | undefined {
  let deleted = current;
  if (deleted !== undefined && context.now >= deleted.until) deleted = undefined;
  if (snapshot === undefined) {
    const before = previous?.snapshot?.record;
    const holder = hasValidHolder(before) && !context.ignores(before) ? before : undefined;
    const leaseMs = Math.max(
      holder === undefined ? 0 : holder.leaseDurationSeconds * 1000,
      deleted?.leaseMs ?? 0,
    );
    if (deleted !== undefined) {
      deleted.leaseMs = leaseMs;
      deleted.until = Math.max(deleted.until, at + leaseMs);
    } else if (holder !== undefined) {
      deleted = {
        holder: holder.holderIdentity,
        holderEpoch: holder.leaseTransitions,
        record: holder,
        epoch: context.highestEpoch,
        leaseMs,
        until: at + leaseMs,
      };
    }
  } else if (deleted !== undefined) {
    const record = snapshot.record;
    if (
      record !== undefined &&
      (record.leaseTransitions > deleted.epoch ||
        (record.holderIdentity === deleted.holder && record.leaseTransitions === deleted.holderEpoch))
    ) {
      deleted = undefined; // an aware writer, or the holder itself: the usual rules apply again
    }
  }
  return deleted;
}

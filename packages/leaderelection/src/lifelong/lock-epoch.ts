import type { LockInfo } from './lifelong-api.js';

/** Annotation on a leader-for-life lock holding its term's epoch (see {@link LockEpochs}). */
export const EPOCH_ANNOTATION = 'leaderelection.kubekit.io/epoch';

/** The epoch a lock carries in {@link EPOCH_ANNOTATION}; `undefined` when absent or unreadable. */
export function epochOf(lock: LockInfo): number | undefined {
  const value = Number(lock.annotations[EPOCH_ANNOTATION]);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * The epochs of one lock name as this replica knows them: the highest epoch it has observed (on
 * every version of the lock it read or was sent by its watch, deleted and replaced ones included),
 * and the epoch to write on the lock it creates next:
 * `max(highest observed + 1, wall-clock milliseconds)`.
 *
 * What that guarantees for the epochs of successive locks of one name:
 * - **Strictly increasing, whatever the clocks say, when the replica that creates the next lock
 *   observed the previous one.** That is the usual takeover: a follower watches the lock and
 *   creates its own when the lock is deleted. (A replica cannot create its lock while another
 *   exists: its create fails with AlreadyExists, and it reads, so observes, the existing lock.)
 * - **Otherwise derived from wall-clock time.** A replica that started after the previous lock was
 *   deleted (a new Pod that wins the race against the followers, or any replica when every replica
 *   restarted after the deletion) writes its wall-clock time in milliseconds (or more). That
 *   exceeds the previous epoch as long as its clock is not behind the previous creator's clock by
 *   more than the time between the two creations: an assumption about clocks (NTP keeps them
 *   within milliseconds; a Pod takes seconds to start), not a guarantee. The Kubernetes API has no
 *   counter that outlives the deleted lock and that a create could be made conditional on, so in
 *   this case no sound strictly increasing value exists.
 */
export class LockEpochs {
  private highest = 0;

  /** @param wallClock wall-clock milliseconds since 1970 (the elector's `Clock.date`). */
  constructor(private readonly wallClock: () => number) {}

  /** Takes note of a version of the lock (any owner; read, watched, deleted or replaced). */
  observe(lock: LockInfo): void {
    this.highest = Math.max(this.highest, epochOf(lock) ?? 0);
  }

  /** The epoch for the next lock this replica creates. */
  next(): number {
    return Math.max(this.highest + 1, Math.floor(this.wallClock()));
  }
}

import { LeaderElectionError } from '@kubekit/leaderelection';
import type { LeaderElectionRecord, Lock, LockSnapshot } from '@kubekit/leaderelection';
import { lockWith } from './lock-with.js';

/** The 409 a lock reports for a write the transport sent again (the first attempt may have landed). */
export function resentConflict(what: string): LeaderElectionError {
  return new LeaderElectionError('lockConflict', `${what}: simulated 409 to a write sent again`, {
    statusCode: 409,
    resent: true,
  });
}

/**
 * `lock` whose acquiring writes (create and update) go through `intercept`, which gets the lock and
 * a function that sends the write as `lock` would.
 */
export function interceptAcquiringWrites(
  lock: Lock,
  intercept: (lock: Lock, send: () => Promise<LockSnapshot>) => Promise<LockSnapshot>,
): Lock {
  return lockWith(lock, {
    create: (record: LeaderElectionRecord, signal: AbortSignal) =>
      intercept(lock, () => lock.create(record, signal)),
    update: (record: LeaderElectionRecord, resourceVersion: string, signal: AbortSignal) =>
      intercept(lock, () => lock.update(record, resourceVersion, signal)),
  });
}

import type { LeaderElectionRecord, Lock } from '@kubekit/leaderelection';
import { rewritingLock } from './rewriting-lock.js';
import type { SimLock } from './sim-lock-store.js';

/**
 * `lock` as an elector that acquires `delayMs` (on its own clock) after the algorithm allows it
 * would use it: every write that starts a term (a holder and an epoch this lock has not written
 * yet) waits that long before it is sent. Only for proving that the liveness budget catches a
 * slower elector; never a way to run one.
 */
export function lateAcquisitions(delayMs: number): (lock: SimLock) => Lock {
  return (lock) => {
    let lastEpoch: number | undefined;
    const late = async (record: LeaderElectionRecord, signal: AbortSignal): Promise<void> => {
      const acquires = record.holderIdentity !== '' && record.leaseTransitions !== lastEpoch;
      lastEpoch = record.leaseTransitions;
      if (acquires) await lock.process.sleep(delayMs, signal);
    };
    return {
      ...rewritingLock(lock),
      create: async (record, signal) => {
        await late(record, signal);
        return lock.create(record, signal);
      },
      update: async (record, resourceVersion, signal) => {
        await late(record, signal);
        return lock.update(record, resourceVersion, signal);
      },
    };
  };
}

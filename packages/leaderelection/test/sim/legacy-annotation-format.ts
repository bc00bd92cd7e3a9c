import type { LeaderElectionRecord, Lock } from '@kubekit/leaderelection';
import type { SimLock } from './sim-lock-store.js';

function secondsOnly(date: Date | undefined): Date | undefined {
  return date === undefined ? undefined : new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/**
 * `lock` storing acquireTime in whole seconds, as client-go writes the
 * `control-plane.alpha.kubernetes.io/leader` annotation (RFC 3339 without a fraction): what is read
 * back has it truncated to the second. A fault the simulation lacked: the lock format is not a
 * lossless round trip of what the elector writes. (renewTime keeps its milliseconds, as
 * ConfigMapLock writes them: with whole seconds every renew within one second would be a no-op the
 * API server drops, and a renewDeadline under a second could not be kept.)
 */
export function legacyAnnotationFormat(lock: SimLock): Lock {
  const stored = (record: LeaderElectionRecord): LeaderElectionRecord => ({
    ...record,
    acquireTime: secondsOnly(record.acquireTime),
  });
  return {
    identity: lock.identity,
    name: lock.name,
    description: lock.description,
    get: (signal) => lock.get(signal),
    create: (record, signal) => lock.create(stored(record), signal),
    update: (record, resourceVersion, signal) => lock.update(stored(record), resourceVersion, signal),
    watch: (resourceVersion, handlers, signal) => lock.watch(resourceVersion, handlers, signal),
  };
}

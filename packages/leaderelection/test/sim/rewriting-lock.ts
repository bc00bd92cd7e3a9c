import type { LeaderElectionRecord, Lock } from '@kubekit/leaderelection';
import type { SimLock } from './sim-lock-store.js';

/**
 * `lock` as a server that stores every record it is given (on create and update) as `rewrite`
 * makes it, so that what is read back is the rewritten record. With the default `rewrite` it is
 * `lock` unchanged: a plain object a test can spread and override one method of.
 */
export function rewritingLock(
  lock: SimLock,
  rewrite: (record: LeaderElectionRecord) => LeaderElectionRecord = (record) => record,
): Lock {
  return {
    identity: lock.identity,
    name: lock.name,
    description: lock.description,
    get: (signal) => lock.get(signal),
    create: (record, signal) => lock.create(rewrite(record), signal),
    update: (record, resourceVersion, signal) => lock.update(rewrite(record), resourceVersion, signal),
    watch: (resourceVersion, handlers, signal) => lock.watch(resourceVersion, handlers, signal),
  };
}

function secondsOnly(date: Date | undefined): Date | undefined {
  return date === undefined ? undefined : new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** `record` with the times `fields` truncated to the second, as a format without fractions stores them. */
export function inWholeSeconds(
  record: LeaderElectionRecord,
  fields: readonly ('acquireTime' | 'renewTime')[],
): LeaderElectionRecord {
  return {
    ...record,
    acquireTime: fields.includes('acquireTime') ? secondsOnly(record.acquireTime) : record.acquireTime,
    renewTime: fields.includes('renewTime') ? secondsOnly(record.renewTime) : record.renewTime,
  };
}

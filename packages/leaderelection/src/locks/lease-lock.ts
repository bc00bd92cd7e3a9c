import { V1MicroTime } from '@kubernetes/client-node';
import type { V1Lease, V1LeaseSpec } from '@kubernetes/client-node';
import { KubeObjectLock, type KubeLockOptions, type LockObjectKind } from './kube-object-lock.js';
import { parseLeaderElectionRecord } from './leader-election-record.js';
import type { LeaderElectionRecord } from './leader-election-record.js';

/** The spec holding `record`, keeping `base`'s other fields. MicroTimes serialise with 6 fractional digits. */
function toSpec(record: LeaderElectionRecord, base?: V1LeaseSpec): V1LeaseSpec {
  const spec: V1LeaseSpec = Object.assign({}, base, {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
  });
  if (record.acquireTime !== undefined) spec.acquireTime = new V1MicroTime(record.acquireTime.getTime());
  if (record.renewTime !== undefined) spec.renewTime = new V1MicroTime(record.renewTime.getTime());
  return spec;
}

const leaseKind: LockObjectKind<V1Lease> = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  resource: 'leases',
  noun: 'lease',
  collectionPath: (namespace) =>
    `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`,
  readRecord: (lease) => parseLeaderElectionRecord(lease.spec),
  withRecord: (record, metadata, base) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: Object.assign({}, base?.metadata, metadata),
    spec: toSpec(record, base?.spec),
  }),
};

/** A `coordination.k8s.io/v1` Lease as the lock (RBAC: leases get, create, update, watch, list). */
export class LeaseLock extends KubeObjectLock<V1Lease> {
  /** @throws LeaderElectionError kind `noNamespace` when no namespace is given or found. */
  constructor(options: KubeLockOptions) {
    super(options, leaseKind);
  }
}

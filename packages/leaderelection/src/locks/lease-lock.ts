import { KubeObjectLock, type KubeLockOptions, type LockObjectKind } from './kube-object-lock.js';
import { parseLeaderElectionRecord } from './leader-election-record.js';
import type { LeaderElectionRecord } from './leader-election-record.js';

/** A `coordination.k8s.io/v1` Lease as JSON on the wire (the fields a lock touches; others are kept). */
export interface LeaseObject {
  readonly metadata?: { readonly resourceVersion?: string } & Readonly<Record<string, unknown>>;
  readonly spec?: Readonly<Record<string, unknown>>;
}

/** A MicroTime as the API server writes it: UTC, exactly 6 fractional digits (`2006-01-02T15:04:05.000000Z`). */
export function microTime(date: Date): string {
  // toISOString always ends in `.mmmZ` (UTC, milliseconds) for the years a lease can carry.
  const iso = date.toISOString();
  return `${iso.slice(0, -1)}000Z`;
}

/** The spec holding `record`, keeping `base`'s other fields (`strategy`, `preferredHolder`, …). */
function toSpec(record: LeaderElectionRecord, base: LeaseObject['spec']): Record<string, unknown> {
  const spec: Record<string, unknown> = Object.assign({}, base, {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
  });
  if (record.acquireTime !== undefined) spec['acquireTime'] = microTime(record.acquireTime);
  if (record.renewTime !== undefined) spec['renewTime'] = microTime(record.renewTime);
  return spec;
}

const leaseKind: LockObjectKind<LeaseObject> = {
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

/** A `coordination.k8s.io/v1` Lease as the lock (RBAC: leases get, create, update, watch). */
export class LeaseLock extends KubeObjectLock<LeaseObject> {
  /** @throws LeaderElectionError kind `noNamespace` when no namespace is given or found. */
  constructor(options: KubeLockOptions) {
    super(options, leaseKind);
  }
}

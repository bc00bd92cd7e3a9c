import { KubeObjectLock, type KubeLockOptions, type LockObjectKind } from './kube-object-lock.js';
import { parseLeaderElectionAnnotation } from './leader-election-record.js';
import type { LeaderElectionRecord } from './leader-election-record.js';

/** A ConfigMap as JSON on the wire (the fields a lock touches; others are kept). */
export interface ConfigMapObject {
  readonly metadata?: {
    readonly resourceVersion?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  } & Readonly<Record<string, unknown>>;
}

/** The annotation older clients (client-go's ConfigMapLock, operator tools) keep the record in. */
export const leaderAnnotation = 'control-plane.alpha.kubernetes.io/leader';

/**
 * RFC 3339 with milliseconds (client-go and every RFC 3339 reader accept the fraction): with whole
 * seconds, two renews within one second would write the same record, which the API server treats
 * as a no-op that followers never see.
 */
function rfc3339(date: Date | undefined): string | undefined {
  return date?.toISOString();
}

function annotationOf(record: LeaderElectionRecord): string {
  return JSON.stringify({
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: rfc3339(record.acquireTime),
    renewTime: rfc3339(record.renewTime),
    leaderTransitions: record.leaseTransitions,
  });
}

const configMapKind: LockObjectKind<ConfigMapObject> = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  resource: 'configmaps',
  noun: 'configmap',
  collectionPath: (namespace) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
  readRecord: (configMap) => {
    const annotation = configMap.metadata?.annotations?.[leaderAnnotation];
    return parseLeaderElectionAnnotation(typeof annotation === 'string' ? annotation : undefined);
  },
  withRecord: (record, metadata, base) =>
    Object.assign({}, base, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: Object.assign({}, base?.metadata, metadata, {
        annotations: { ...base?.metadata?.annotations, [leaderAnnotation]: annotationOf(record) },
      }),
    }),
};

/**
 * The legacy lock: a ConfigMap whose `control-plane.alpha.kubernetes.io/leader` annotation holds
 * the record as JSON, for interoperating with older clients. Records written loosely by others
 * (numbers as strings, odd time formats, missing fields, garbage) are read tolerantly; an
 * unreadable one means "no valid holder" and is still only overwritten by compare-and-swap.
 * RBAC: configmaps get, create, update, watch.
 */
export class ConfigMapLock extends KubeObjectLock<ConfigMapObject> {
  /** @throws LeaderElectionError kind `noNamespace` when no namespace is given or found. */
  constructor(options: KubeLockOptions) {
    super(options, configMapKind);
  }
}

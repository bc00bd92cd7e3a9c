import {
  CoordinationV1Api,
  V1Lease,
  V1LeaseSpec,
  V1MicroTime,
  V1ObjectMeta,
  Watch,
} from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { defaultIdentity } from '../defaults/default-identity.js';
import { resolveNamespace } from '../defaults/default-namespace.js';
import type { EventRecorder } from '../observability/event-recorder.js';
import { KubernetesEventRecorder } from '../observability/kubernetes-event-recorder.js';
import { lockRequestError, requestOptions, statusCodeOf } from './kube-request.js';
import type { LockRequest } from './kube-request.js';
import { watchLockObject } from './kube-watch.js';
import { parseLeaderElectionRecord } from './leader-election-record.js';
import type { LeaderElectionRecord } from './leader-election-record.js';
import type { Lock, LockSnapshot, LockWatchHandlers } from './lock.js';
import { reuseConnections } from '../kube/reuse-connections.js';

/** Options of {@link LeaseLock} and `ConfigMapLock`. */
export interface KubeLockOptions {
  /** Cluster access (client-node). */
  readonly kubeConfig: KubeConfig;
  /** The lock object's name. */
  readonly name: string;
  /** Default: the Pod's namespace from the service-account file; neither → `noNamespace` error. */
  readonly namespace?: string;
  /** Default `<hostname>_<random>`. */
  readonly identity?: string;
  /** Where to read the Pod's namespace from. Default `/var/run/secrets/kubernetes.io/serviceaccount/namespace`. */
  readonly namespaceFile?: string;
  /** Record Kubernetes Events about the lock (RBAC events: create). Default `true`. */
  readonly events?: boolean;
}

function toRecord(record: LeaderElectionRecord, base?: V1LeaseSpec): V1LeaseSpec {
  const spec = Object.assign(new V1LeaseSpec(), base, {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
  });
  if (record.acquireTime !== undefined) spec.acquireTime = new V1MicroTime(record.acquireTime.getTime());
  if (record.renewTime !== undefined) spec.renewTime = new V1MicroTime(record.renewTime.getTime());
  return spec;
}

/** A `coordination.k8s.io/v1` Lease as the lock (RBAC: leases get, create, update, watch, list). */
export class LeaseLock implements Lock {
  readonly identity: string;
  readonly name: string;
  readonly namespace: string;
  readonly description: string;
  readonly eventRecorder?: EventRecorder;
  private readonly api: CoordinationV1Api;
  private readonly watcher: Watch;
  /** The object last read or written, to keep its other fields on update. */
  private last: V1Lease | undefined;

  /** @throws LeaderElectionError kind `noNamespace` when no namespace is given or found. */
  constructor(options: KubeLockOptions) {
    this.name = options.name;
    this.namespace = resolveNamespace(`lease ${options.name}`, options.namespace, options.namespaceFile);
    this.identity = options.identity ?? defaultIdentity();
    this.description = `lease ${this.namespace}/${this.name}`;
    const kubeConfig = reuseConnections(options.kubeConfig);
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.watcher = new Watch(kubeConfig);
    if (options.events ?? true) {
      this.eventRecorder = new KubernetesEventRecorder(
        options.kubeConfig,
        { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: this.namespace, name: this.name },
        this.identity,
      );
    }
  }

  private request(verb: LockRequest['verb']): LockRequest {
    return { lock: this.description, verb, resource: 'leases', namespace: this.namespace };
  }

  private snapshot(lease: V1Lease): LockSnapshot {
    this.last = lease;
    return {
      resourceVersion: lease.metadata?.resourceVersion ?? '',
      record: parseLeaderElectionRecord(lease.spec),
    };
  }

  async get(signal: AbortSignal): Promise<LockSnapshot | undefined> {
    try {
      const lease = await this.api.readNamespacedLease(
        { name: this.name, namespace: this.namespace },
        requestOptions(signal),
      );
      return this.snapshot(lease);
    } catch (error: unknown) {
      if (statusCodeOf(error) === 404 && !signal.aborted) return undefined;
      throw lockRequestError(error, this.request('get'), signal);
    }
  }

  async create(record: LeaderElectionRecord, signal: AbortSignal): Promise<LockSnapshot> {
    const body = Object.assign(new V1Lease(), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: Object.assign(new V1ObjectMeta(), { name: this.name, namespace: this.namespace }),
      spec: toRecord(record),
    });
    try {
      return this.snapshot(
        await this.api.createNamespacedLease({ namespace: this.namespace, body }, requestOptions(signal)),
      );
    } catch (error: unknown) {
      throw lockRequestError(error, this.request('create'), signal);
    }
  }

  async update(
    record: LeaderElectionRecord,
    resourceVersion: string,
    signal: AbortSignal,
  ): Promise<LockSnapshot> {
    const base = this.last?.metadata?.resourceVersion === resourceVersion ? this.last : undefined;
    const body = Object.assign(new V1Lease(), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: Object.assign(new V1ObjectMeta(), base?.metadata, {
        name: this.name,
        namespace: this.namespace,
        resourceVersion,
      }),
      spec: toRecord(record, base?.spec),
    });
    try {
      const lease = await this.api.replaceNamespacedLease(
        { name: this.name, namespace: this.namespace, body },
        requestOptions(signal),
      );
      return this.snapshot(lease);
    } catch (error: unknown) {
      // A replace of a deleted object is a create in disguise: report it as a conflict to re-read.
      if (statusCodeOf(error) === 404 && !signal.aborted) {
        throw lockRequestError(
          { statusCode: 409, message: 'the lease no longer exists' },
          this.request('update'),
          signal,
        );
      }
      throw lockRequestError(error, this.request('update'), signal);
    }
  }

  watch(
    resourceVersion: string | undefined,
    handlers: LockWatchHandlers,
    signal: AbortSignal,
  ): Promise<void> {
    return watchLockObject(
      {
        watcher: this.watcher,
        path: `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`,
        name: this.name,
        request: this.request('watch'),
        toSnapshot: (object) => this.snapshot(object as V1Lease),
      },
      resourceVersion,
      handlers,
      signal,
    );
  }
}

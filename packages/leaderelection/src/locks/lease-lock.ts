import { V1MicroTime } from '@kubernetes/client-node';
import type { KubeConfig, V1Lease, V1LeaseSpec } from '@kubernetes/client-node';
import { defaultIdentity } from '../defaults/default-identity.js';
import { resolveNamespace } from '../defaults/default-namespace.js';
import type { EventRecorder } from '../observability/event-recorder.js';
import { KubernetesEventRecorder } from '../observability/kubernetes-event-recorder.js';
import { lockRequestError, statusCodeOf } from './kube-request.js';
import type { LockRequest } from './kube-request.js';
import { watchLockObject } from './kube-watch.js';
import { parseLeaderElectionRecord } from './leader-election-record.js';
import type { LeaderElectionRecord } from './leader-election-record.js';
import type { Lock, LockSnapshot, LockWatchHandlers } from './lock.js';
import { KubeHttpClient } from '../kube/kube-http-client.js';

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

/** The spec holding `record`, keeping `base`'s other fields. MicroTimes serialise with 6 fractional digits. */
function toRecord(record: LeaderElectionRecord, base?: V1LeaseSpec): V1LeaseSpec {
  const spec: V1LeaseSpec = Object.assign({}, base, {
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
  private readonly client: KubeHttpClient;
  /** The collection path; the object's path is `${collection}/${name}`. */
  private readonly collection: string;
  /** The object last read or written, to keep its other fields on update. */
  private last: V1Lease | undefined;

  /** @throws LeaderElectionError kind `noNamespace` when no namespace is given or found. */
  constructor(options: KubeLockOptions) {
    this.name = options.name;
    this.namespace = resolveNamespace(`lease ${options.name}`, options.namespace, options.namespaceFile);
    this.identity = options.identity ?? defaultIdentity();
    this.description = `lease ${this.namespace}/${this.name}`;
    this.client = KubeHttpClient.for(options.kubeConfig);
    this.collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`;
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

  private objectPath(): string {
    return `${this.collection}/${encodeURIComponent(this.name)}`;
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
      const lease = await this.client.request('GET', this.objectPath(), undefined, signal);
      return this.snapshot(lease as V1Lease);
    } catch (error: unknown) {
      if (statusCodeOf(error) === 404 && !signal.aborted) return undefined;
      throw lockRequestError(error, this.request('get'), signal);
    }
  }

  async create(record: LeaderElectionRecord, signal: AbortSignal): Promise<LockSnapshot> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: toRecord(record),
    };
    try {
      return this.snapshot((await this.client.request('POST', this.collection, body, signal)) as V1Lease);
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
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: Object.assign({}, base?.metadata, {
        name: this.name,
        namespace: this.namespace,
        resourceVersion,
      }),
      spec: toRecord(record, base?.spec),
    };
    try {
      const lease = await this.client.request('PUT', this.objectPath(), body, signal);
      return this.snapshot(lease as V1Lease);
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
        watcher: this.client,
        path: this.collection,
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

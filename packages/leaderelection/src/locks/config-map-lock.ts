import type { V1ConfigMap } from '@kubernetes/client-node';
import { defaultIdentity } from '../defaults/default-identity.js';
import { resolveNamespace } from '../defaults/default-namespace.js';
import type { EventRecorder } from '../observability/event-recorder.js';
import { KubernetesEventRecorder } from '../observability/kubernetes-event-recorder.js';
import { lockRequestError, statusCodeOf } from './kube-request.js';
import type { LockRequest } from './kube-request.js';
import { watchLockObject } from './kube-watch.js';
import { parseLeaderElectionAnnotation } from './leader-election-record.js';
import type { LeaderElectionRecord } from './leader-election-record.js';
import type { KubeLockOptions } from './lease-lock.js';
import type { Lock, LockSnapshot, LockWatchHandlers } from './lock.js';
import { KubeHttpClient } from '../kube/kube-http-client.js';

/** The annotation older clients (client-go's ConfigMapLock, operator tools) keep the record in. */
export const leaderAnnotation = 'control-plane.alpha.kubernetes.io/leader';

function rfc3339(date: Date | undefined): string | undefined {
  return date?.toISOString().replace(/\.\d{3}Z$/, 'Z');
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

/**
 * The legacy lock: a ConfigMap whose `control-plane.alpha.kubernetes.io/leader` annotation holds
 * the record as JSON, for interoperating with older clients. Records written loosely by others
 * (numbers as strings, odd time formats, missing fields, garbage) are read tolerantly; an
 * unreadable one means "no valid holder" and is still only overwritten by compare-and-swap.
 * RBAC: configmaps get, create, update, watch, list.
 */
export class ConfigMapLock implements Lock {
  readonly identity: string;
  readonly name: string;
  readonly namespace: string;
  readonly description: string;
  readonly eventRecorder?: EventRecorder;
  private readonly client: KubeHttpClient;
  /** The collection path; the object's path is `${collection}/${name}`. */
  private readonly collection: string;
  private last: V1ConfigMap | undefined;

  /** @throws LeaderElectionError kind `noNamespace` when no namespace is given or found. */
  constructor(options: KubeLockOptions) {
    this.name = options.name;
    this.namespace = resolveNamespace(`configmap ${options.name}`, options.namespace, options.namespaceFile);
    this.identity = options.identity ?? defaultIdentity();
    this.description = `configmap ${this.namespace}/${this.name}`;
    this.client = KubeHttpClient.for(options.kubeConfig);
    this.collection = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/configmaps`;
    if (options.events ?? true) {
      this.eventRecorder = new KubernetesEventRecorder(
        options.kubeConfig,
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: this.namespace, name: this.name },
        this.identity,
      );
    }
  }

  private request(verb: LockRequest['verb']): LockRequest {
    return { lock: this.description, verb, resource: 'configmaps', namespace: this.namespace };
  }

  private objectPath(): string {
    return `${this.collection}/${encodeURIComponent(this.name)}`;
  }

  private snapshot(configMap: V1ConfigMap): LockSnapshot {
    this.last = configMap;
    const annotation = configMap.metadata?.annotations?.[leaderAnnotation];
    return {
      resourceVersion: configMap.metadata?.resourceVersion ?? '',
      record: parseLeaderElectionAnnotation(typeof annotation === 'string' ? annotation : undefined),
    };
  }

  async get(signal: AbortSignal): Promise<LockSnapshot | undefined> {
    try {
      const configMap = await this.client.request('GET', this.objectPath(), undefined, signal);
      return this.snapshot(configMap as V1ConfigMap);
    } catch (error: unknown) {
      if (statusCodeOf(error) === 404 && !signal.aborted) return undefined;
      throw lockRequestError(error, this.request('get'), signal);
    }
  }

  async create(record: LeaderElectionRecord, signal: AbortSignal): Promise<LockSnapshot> {
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        annotations: { [leaderAnnotation]: annotationOf(record) },
      },
    };
    try {
      return this.snapshot((await this.client.request('POST', this.collection, body, signal)) as V1ConfigMap);
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
    const body = Object.assign({}, base, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: Object.assign({}, base?.metadata, {
        name: this.name,
        namespace: this.namespace,
        resourceVersion,
        annotations: { ...base?.metadata?.annotations, [leaderAnnotation]: annotationOf(record) },
      }),
    });
    try {
      const configMap = await this.client.request('PUT', this.objectPath(), body, signal);
      return this.snapshot(configMap as V1ConfigMap);
    } catch (error: unknown) {
      if (statusCodeOf(error) === 404 && !signal.aborted) {
        throw lockRequestError(
          { statusCode: 409, message: 'the configmap no longer exists' },
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
        toSnapshot: (object) => this.snapshot(object as V1ConfigMap),
      },
      resourceVersion,
      handlers,
      signal,
    );
  }
}

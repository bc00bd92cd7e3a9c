import type { KubeConfig } from '@kubernetes/client-node';
import { defaultIdentity } from '../defaults/default-identity.js';
import { resolveNamespace } from '../defaults/default-namespace.js';
import { KubeHttpClient } from '../kube/kube-http-client.js';
import type { EventRecorder } from '../observability/event-recorder.js';
import { KubernetesEventRecorder } from '../observability/kubernetes-event-recorder.js';
import { lockRequestError, statusCodeOf } from './kube-request.js';
import type { LockRequest } from './kube-request.js';
import { watchLockObject } from './kube-watch.js';
import type { LeaderElectionRecord } from './leader-election-record.js';
import type { Lock, LockSnapshot, LockWatchHandlers } from './lock.js';

/** Options of `LeaseLock` and `ConfigMapLock`. */
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

/** The fields of a Kubernetes object a lock touches. */
export interface LockObject {
  readonly metadata?: { readonly resourceVersion?: string };
}

/** What tells one kind of lock object from another: where it lives and where it keeps the record. */
export interface LockObjectKind<T extends LockObject> {
  readonly apiVersion: string;
  readonly kind: string;
  /** Plural resource name, e.g. `leases`. */
  readonly resource: string;
  /** The object's name in messages, e.g. `lease` (as in `lease kube-system/my-operator`). */
  readonly noun: string;
  /** The collection's path in a namespace, e.g. `/apis/coordination.k8s.io/v1/namespaces/ns/leases`. */
  collectionPath(namespace: string): string;
  /** The record the object holds; `undefined` when none, or an unreadable one. */
  readRecord(object: T): LeaderElectionRecord | undefined;
  /**
   * The object to write: holding `record`, with `metadata` (name, namespace and, on update, the
   * resourceVersion), and otherwise as `base` (the object as last read, on update) has it.
   */
  withRecord(
    record: LeaderElectionRecord,
    metadata: Readonly<Record<string, string>>,
    base: T | undefined,
  ): object;
}

/**
 * A lock kept in one Kubernetes object, read and written over the package's keep-alive transport:
 * get, create, compare-and-swap update and watch of that object. `LeaseLock` and `ConfigMapLock`
 * are this with their own {@link LockObjectKind}.
 */
export class KubeObjectLock<T extends LockObject> implements Lock {
  readonly identity: string;
  readonly name: string;
  readonly namespace: string;
  readonly description: string;
  readonly eventRecorder?: EventRecorder;
  private readonly objectKind: LockObjectKind<T>;
  private readonly client: KubeHttpClient;
  /** The collection path; the object's path is `${collection}/${name}`. */
  private readonly collection: string;
  /** The object last read or written, to keep its other fields on update. */
  private last: T | undefined;

  /** @throws LeaderElectionError kind `noNamespace` when no namespace is given or found. */
  constructor(options: KubeLockOptions, objectKind: LockObjectKind<T>) {
    this.objectKind = objectKind;
    this.name = options.name;
    this.namespace = resolveNamespace(
      `${objectKind.noun} ${options.name}`,
      options.namespace,
      options.namespaceFile,
    );
    this.identity = options.identity ?? defaultIdentity();
    this.description = `${objectKind.noun} ${this.namespace}/${this.name}`;
    this.client = KubeHttpClient.for(options.kubeConfig);
    this.collection = objectKind.collectionPath(this.namespace);
    if (options.events ?? true) {
      this.eventRecorder = new KubernetesEventRecorder(
        options.kubeConfig,
        {
          apiVersion: objectKind.apiVersion,
          kind: objectKind.kind,
          namespace: this.namespace,
          name: this.name,
        },
        this.identity,
      );
    }
  }

  async get(signal: AbortSignal): Promise<LockSnapshot | undefined> {
    try {
      return this.snapshot((await this.client.request('GET', this.objectPath(), undefined, signal)) as T);
    } catch (error: unknown) {
      if (statusCodeOf(error) === 404 && !signal.aborted) return undefined;
      throw lockRequestError(error, this.request('get'), signal);
    }
  }

  async create(record: LeaderElectionRecord, signal: AbortSignal): Promise<LockSnapshot> {
    const body = this.objectKind.withRecord(
      record,
      { name: this.name, namespace: this.namespace },
      undefined,
    );
    try {
      return this.snapshot((await this.client.request('POST', this.collection, body, signal)) as T);
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
    const metadata = { name: this.name, namespace: this.namespace, resourceVersion };
    const body = this.objectKind.withRecord(record, metadata, base);
    try {
      return this.snapshot((await this.client.request('PUT', this.objectPath(), body, signal)) as T);
    } catch (error: unknown) {
      // A replace of a deleted object is a create in disguise: report it as a conflict to re-read.
      if (statusCodeOf(error) === 404 && !signal.aborted) {
        throw lockRequestError(
          { statusCode: 409, message: `the ${this.objectKind.noun} no longer exists` },
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
        toSnapshot: (object) => this.snapshot(object as T),
      },
      resourceVersion,
      handlers,
      signal,
    );
  }

  private request(verb: LockRequest['verb']): LockRequest {
    return { lock: this.description, verb, resource: this.objectKind.resource, namespace: this.namespace };
  }

  private objectPath(): string {
    return `${this.collection}/${encodeURIComponent(this.name)}`;
  }

  private snapshot(object: T): LockSnapshot {
    this.last = object;
    return {
      resourceVersion: object.metadata?.resourceVersion ?? '',
      record: this.objectKind.readRecord(object),
    };
  }
}

import { readWatchEvents } from '@kubekit/client';
import type { KubeClient, Transport } from '@kubekit/client';
import type { KubeConfig } from '@kubernetes/client-node';
import { defaultIdentity } from '../defaults/default-identity.js';
import { resolveNamespace } from '../defaults/default-namespace.js';
import { lockWatchInactivityMs, sharedClient } from '../kube/shared-client.js';
import type { EventRecorder } from '../observability/event-recorder.js';
import { KubernetesEventRecorder } from '../observability/kubernetes-event-recorder.js';
import { lockRequestError, statusCodeOf } from './kube-request.js';
import type { LockRequest } from './kube-request.js';
import { watchLockObject } from './kube-watch.js';
import type { LockWatchQuery, LockWatchStream } from './kube-watch.js';
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

/** The longest watch event a lock accepts, in characters (a Lease or ConfigMap lock is small). */
const maxWatchLineLength = 4 * 1024 * 1024;

/**
 * A lock kept in one Kubernetes object, read and written through `@kubekit/client` (one client per
 * KubeConfig, shared by every lock, Event recorder and leader-for-life elector built from it):
 * get, create, compare-and-swap update and watch of that object, as plain JSON on known paths (no
 * discovery). `LeaseLock` and `ConfigMapLock` are this with their own {@link LockObjectKind}.
 */
export class KubeObjectLock<T extends LockObject> implements Lock {
  readonly identity: string;
  readonly name: string;
  readonly namespace: string;
  readonly description: string;
  readonly eventRecorder?: EventRecorder;
  private readonly objectKind: LockObjectKind<T>;
  private readonly transport: Transport;
  /** The collection path. */
  private readonly collection: string;
  /** The object's path. */
  private readonly objectPath: string;
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
    const client: KubeClient = sharedClient(options.kubeConfig);
    this.transport = client.transport;
    this.collection = objectKind.collectionPath(this.namespace);
    this.objectPath = `${this.collection}/${encodeURIComponent(this.name)}`;
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
      const object = await this.transport.json({
        method: 'GET',
        path: this.objectPath,
        signal,
        timeoutMs: 0,
      });
      return this.snapshot(object as T);
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
      // Sent once more if its connection broke: a create that landed meanwhile is a harmless 409.
      const object = await this.transport.json({
        method: 'POST',
        path: this.collection,
        body: JSON.stringify(body),
        signal,
        timeoutMs: 0,
        idempotent: true,
      });
      return this.snapshot(object as T);
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
      // A compare-and-swap: sent once more if its connection broke, a repeat that landed is a 409.
      const object = await this.transport.json({
        method: 'PUT',
        path: this.objectPath,
        body: JSON.stringify(body),
        signal,
        timeoutMs: 0,
        idempotent: true,
      });
      return this.snapshot(object as T);
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
        open: (query, watchSignal) => this.openWatch(query, watchSignal),
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

  /** Opens a watch of the collection (the query selects the one object); resolves once accepted. */
  private async openWatch(query: LockWatchQuery, signal: AbortSignal): Promise<LockWatchStream> {
    let search = `?watch=true&fieldSelector=${encodeURIComponent(query.fieldSelector)}&allowWatchBookmarks=true`;
    if (query.resourceVersion !== undefined) {
      search += `&resourceVersion=${encodeURIComponent(query.resourceVersion)}`;
    }
    const stream = await this.transport.stream({
      method: 'GET',
      path: this.collection + search,
      signal,
      // No answer within the inactivity timeout: the watch fails (kind timeout) and is opened again.
      timeoutMs: lockWatchInactivityMs,
    });
    return {
      events: readWatchEvents(stream.body, {
        maxLineLength: maxWatchLineLength,
        inactivityTimeoutMs: lockWatchInactivityMs,
        what: `watch ${this.description}`,
      }),
      close: () => stream.body.destroy(),
    };
  }

  private snapshot(object: T): LockSnapshot {
    this.last = object;
    return {
      resourceVersion: object.metadata?.resourceVersion ?? '',
      record: this.objectKind.readRecord(object),
    };
  }
}

import {
  KubeClientError,
  isExpired,
  isGone,
  isTimeout,
  systemClock,
  type Clock,
  type KindRef,
  type KubeObject,
  type ObjectClient,
} from '@kubekit/client';
import { Observable, Subject } from 'rxjs';
import { ReconcileError } from '../reconcile-error.js';
import { Backoff } from './backoff.js';
import type { Informer, InformerEvent, InformerOptions, InformerScope } from './informer.js';
import { informerMetrics, type InformerMetrics } from './informer-metrics.js';
import { objectKey } from './object-key.js';
import { Store } from './store.js';
import { stripManagedFields, toPartialObjectMetadata, type Transform } from './transform.js';

type State = 'idle' | 'running' | 'stopped';

/** A readable name of a scope, for messages and metric labels. */
export function describeScope(scope: InformerScope): string {
  let text = `${scope.apiVersion}/${scope.kind}`;
  if (scope.namespace !== undefined) text += ` in ${scope.namespace}`;
  if (scope.labelSelector !== undefined) text += ` labels ${scope.labelSelector}`;
  if (scope.fieldSelector !== undefined) text += ` fields ${scope.fieldSelector}`;
  return text;
}

/** Whether `signal` has aborted (read through a call: the compiler narrows `signal.aborted` in loops). */
function aborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** Why a watch or list failed, for the failure metric. */
function reason(error: unknown): string {
  if (KubeClientError.is(error))
    return error.kind === 'api' ? `api_${String(error.code ?? 'unknown')}` : error.kind;
  return 'other';
}

/** The implementation of {@link Informer}; create it with {@link createInformer}. */
class SharedInformer<T extends KubeObject> implements Informer<T> {
  readonly scope: InformerScope;
  readonly #client: ObjectClient;
  readonly #kindRef: KindRef;
  /** Ask the server for PartialObjectMetadata(List) instead of whole objects. */
  readonly #metadataOnly: boolean;
  readonly #clock: Clock;
  readonly #pageSize: number;
  readonly #inactivityTimeoutMs: number;
  readonly #resyncPeriodMs: number;
  readonly #relistAfterFailures: number;
  readonly #transform: Transform<T>;
  readonly #store: Store<T>;
  readonly #backoff: Backoff;
  readonly #events = new Subject<InformerEvent<T>>();
  readonly #metrics: InformerMetrics | null;
  readonly #label: string;
  #state: State = 'idle';
  #synced = false;
  #syncWaiters: ((synced: boolean) => void)[] = [];
  #resourceVersion: string | undefined;
  /** The error of the last attempt while it is failing; undefined while fine. */
  #failure: unknown = undefined;
  #failing = false;

  constructor(options: InformerOptions<T>) {
    this.scope = {
      apiVersion: options.apiVersion,
      kind: options.kind,
      namespace: options.namespace,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    };
    this.#client = options.client;
    this.#kindRef = { apiVersion: options.apiVersion, kind: options.kind, namespace: options.namespace };
    this.#clock = options.clock ?? systemClock;
    this.#pageSize = options.pageSize ?? 500;
    this.#inactivityTimeoutMs = options.inactivityTimeoutMs ?? 120_000;
    this.#resyncPeriodMs = options.resyncPeriodMs ?? 0;
    this.#relistAfterFailures = options.relistAfterFailures ?? 3;
    for (const [name, value] of [
      ['pageSize', this.#pageSize],
      ['inactivityTimeoutMs', this.#inactivityTimeoutMs],
      ['resyncPeriodMs', this.#resyncPeriodMs],
      ['relistAfterFailures', this.#relistAfterFailures],
    ] as const) {
      if (!(value >= 0) || (name !== 'resyncPeriodMs' && name !== 'inactivityTimeoutMs' && value < 1)) {
        throw new ReconcileError(
          'invalidArgument',
          `informer ${describeScope(this.scope)}: ${name} (${String(value)}) is out of range`,
        );
      }
    }
    const custom = options.transform === undefined ? stripManagedFields : options.transform;
    this.#metadataOnly = options.metadataOnly === true;
    // The server sends PartialObjectMetadata (kind PartialObjectMetadata, apiVersion
    // meta.k8s.io/v1): stored under the informer's own kind, as controller-runtime's metadata
    // informers fix the kind up.
    const { apiVersion, kind } = options;
    this.#transform = this.#metadataOnly
      ? (object: T) => ({ ...toPartialObjectMetadata(object), apiVersion, kind })
      : (custom ?? ((object: T) => object));
    this.#store = new Store<T>(options.indexers, options.namespace);
    this.#backoff = new Backoff(this.#clock, options.backoff, options.random);
    this.#metrics =
      options.metrics === undefined || options.metrics === null ? null : informerMetrics(options.metrics);
    this.#label = describeScope(this.scope);
    this.#metrics?.healthy.set({ informer: this.#label }, 0);
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.#state !== 'idle') {
      throw new ReconcileError(
        'invalidState',
        `informer ${this.#label}: start may be called once (state ${this.#state})`,
      );
    }
    this.#state = 'running';
    const resync = this.#resyncPeriodMs > 0 ? this.#resyncLoop(signal) : Promise.resolve();
    try {
      await this.#run(signal);
    } finally {
      this.#state = 'stopped';
      await resync;
      this.#events.complete();
      const waiters = this.#syncWaiters;
      this.#syncWaiters = [];
      for (const waiter of waiters) waiter(this.#synced);
      this.#metrics?.healthy.set({ informer: this.#label }, 0);
    }
  }

  needLeaderElection(): false {
    return false;
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (this.#state === 'stopped' || signal?.aborted === true) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.#syncWaiters = this.#syncWaiters.filter((waiter) => waiter !== settle);
        resolve(false);
      };
      const settle = (synced: boolean): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(settle);
    });
  }

  get(key: string): T | undefined {
    return this.#store.get(key);
  }

  list(): T[] {
    return [...this.#store.values()];
  }

  byIndex(index: string, value: string): T[] {
    return this.#store.byIndex(index, value);
  }

  events(): Observable<InformerEvent<T>> {
    return new Observable<InformerEvent<T>>((subscriber) => {
      for (const object of this.#store.values()) subscriber.next({ type: 'add', object, initial: true });
      if (this.#state === 'stopped') {
        subscriber.complete();
        return undefined;
      }
      return this.#events.subscribe(subscriber);
    });
  }

  healthy(): boolean {
    return this.#synced && !this.#failing && this.#state === 'running';
  }

  checkHealth(): void {
    if (this.healthy()) return;
    const why = !this.#synced
      ? 'has not synced yet'
      : this.#state !== 'running'
        ? `is ${this.#state}`
        : 'is failing';
    throw new ReconcileError('unhealthy', `informer ${this.#label} ${why}`, { cause: this.#failure });
  }

  lastResourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  async #run(signal: AbortSignal): Promise<void> {
    let needList = true;
    // Watch failures in a row: a watch that delivered anything (an event or a bookmark) made
    // progress, so the count starts again from it.
    let watchFailures = 0;
    let lastWasExpired = false;
    // The first list asks for resourceVersion "0" (any), as client-go's reflector: kube-apiserver's
    // watch cache answers it from memory in one piece. Once that fails as expired or too new for
    // the server, or once synced, lists are consistent (resourceVersion unset) and paged.
    let listAny = true;
    while (!signal.aborted) {
      let expired = false;
      let listing = false;
      const attempt = { received: 0 };
      try {
        if (needList) {
          listing = true;
          await this.#list(signal, listAny && !this.#synced);
          listing = false;
          needList = false;
          watchFailures = 0;
        }
        await this.#watch(signal, attempt);
        // The server ended the stream: resume from the last resourceVersion. A stream that ended
        // without a single event is retried after a backoff, so a server that closes at once
        // is not hammered.
        if (attempt.received > 0) watchFailures = 0;
        else await this.#clock.sleep(this.#backoff.next(), signal);
      } catch (error) {
        if (aborted(signal)) break;
        if (attempt.received > 0) watchFailures = 0;
        this.#fail(error);
        expired = isExpired(error) || isGone(error) || (isTimeout(error) && KubeClientError.is(error, 'api'));
        if (expired && listing) listAny = false;
        if (expired) {
          // History compacted (410) or the resourceVersion is unknown to this server (504):
          // only a new list can catch up. At once the first time, with backoff if it repeats.
          needList = true;
        } else if (!needList && ++watchFailures >= this.#relistAfterFailures) {
          needList = true;
        }
        if (needList && this.#synced) this.#metrics?.relists.inc({ informer: this.#label });
        if (!expired || lastWasExpired) {
          let delay = this.#backoff.next();
          const retryAfter = KubeClientError.is(error) ? error.retryAfter : undefined;
          if (retryAfter !== undefined) delay = Math.max(delay, retryAfter * 1000);
          try {
            await this.#clock.sleep(delay, signal);
          } catch {
            break;
          }
        }
      }
      lastWasExpired = expired;
    }
  }

  /**
   * Lists everything and diffs it against the cache. `any`: at resourceVersion "0", which a watch
   * cache serves from memory ignoring the page size (a server without one pages it as usual).
   */
  async #list(signal: AbortSignal, any: boolean): Promise<void> {
    const listed: T[] = [];
    let resourceVersion: string | undefined;
    for await (const page of this.#client.listPages<T>(this.#kindRef, {
      pageSize: this.#pageSize,
      resourceVersion: any ? '0' : undefined,
      metadataOnly: this.#metadataOnly,
      labelSelector: this.scope.labelSelector,
      fieldSelector: this.scope.fieldSelector,
      signal,
    })) {
      resourceVersion ??= page.metadata.resourceVersion;
      for (const item of page.items) {
        item.apiVersion ??= this.scope.apiVersion;
        item.kind ??= this.scope.kind;
        listed.push(this.#transform(item));
      }
    }
    const initial = !this.#synced;
    // Events are built only when someone listens (a large first list costs less).
    const observed = this.#events.observed;
    if (this.#store.size === 0) {
      // Nothing cached (the first list, or everything was deleted): every listed object is new,
      // so there is nothing to compare and nothing to delete.
      for (const object of listed) {
        const old = this.#store.upsert(object);
        if (!observed) continue;
        // A list names each key once; should a server repeat one, the later object wins.
        this.#events.next(
          old === undefined
            ? { type: 'add', object, initial }
            : { type: 'update', object, oldObject: old, initial },
        );
      }
    } else {
      this.#applyRelist(listed, initial, observed);
    }
    this.#resourceVersion = resourceVersion;
    this.#recovered();
    if (!this.#synced) {
      this.#synced = true;
      const waiters = this.#syncWaiters;
      this.#syncWaiters = [];
      for (const waiter of waiters) waiter(true);
    }
    this.#metrics?.objects.set({ informer: this.#label }, this.#store.size);
    this.#metrics?.healthy.set({ informer: this.#label }, 1);
  }

  /** Brings a non-empty cache to a new list: adds, updates and deletes, each with its event. */
  #applyRelist(listed: readonly T[], initial: boolean, observed: boolean): void {
    const fresh = new Map<string, T>();
    for (const object of listed) fresh.set(objectKey(object), object);
    for (const [key, object] of fresh) {
      const old = this.#store.get(key);
      if (old === undefined) {
        this.#store.upsert(object, key);
        if (observed) this.#events.next({ type: 'add', object, initial });
      } else if (old.metadata?.uid !== object.metadata?.uid) {
        // Deleted and created again while we were not watching.
        this.#store.delete(key);
        this.#events.next({ type: 'delete', object: old, initial: false });
        this.#store.upsert(object, key);
        this.#events.next({ type: 'add', object, initial: false });
      } else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
        this.#store.upsert(object, key);
        this.#events.next({ type: 'update', object, oldObject: old, initial: false });
      }
    }
    // The delete diff: whatever is cached but not listed was deleted while we were not watching.
    for (const [key, old] of [...this.#store.entries()]) {
      if (fresh.has(key)) continue;
      this.#store.delete(key);
      this.#events.next({ type: 'delete', object: old, initial: false });
    }
  }

  /**
   * Watches from the last resourceVersion until the server ends the stream, counting the events
   * applied (bookmarks included) in `attempt.received`. The informer has recovered from a failure as soon
   * as the server has answered the watch and its stream is open (a quiet kind may deliver nothing
   * for a minute).
   */
  async #watch(signal: AbortSignal, attempt: { received: number }): Promise<void> {
    for await (const event of this.#client.watch<T>(this.#kindRef, {
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: true,
      metadataOnly: this.#metadataOnly,
      labelSelector: this.scope.labelSelector,
      fieldSelector: this.scope.fieldSelector,
      inactivityTimeoutMs: this.#inactivityTimeoutMs,
      onEstablished: () => {
        this.#healthyAgain();
      },
      signal,
    })) {
      const resourceVersion = event.object.metadata?.resourceVersion;
      switch (event.type) {
        case 'BOOKMARK':
          break;
        case 'ADDED':
        case 'MODIFIED': {
          const object = this.#transform(event.object);
          const old = this.#store.upsert(object);
          this.#events.next(
            old === undefined
              ? { type: 'add', object, initial: false }
              : { type: 'update', object, oldObject: old, initial: false },
          );
          break;
        }
        case 'DELETED': {
          const object = this.#transform(event.object);
          const old = this.#store.delete(objectKey(object));
          this.#events.next({ type: 'delete', object: old ?? object, initial: false });
          break;
        }
      }
      if (resourceVersion !== undefined) this.#resourceVersion = resourceVersion;
      if (this.#metrics !== null && event.type !== 'BOOKMARK') {
        this.#metrics.objects.set({ informer: this.#label }, this.#store.size);
      }
      // Counted once applied: an event that cannot be (a transform that throws on it) is not progress.
      attempt.received += 1;
      if (attempt.received === 1) this.#recovered();
    }
  }

  async #resyncLoop(signal: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await this.#clock.sleep(this.#resyncPeriodMs, signal);
      } catch {
        return;
      }
      if (!this.#synced) continue;
      for (const object of this.#store.values()) {
        this.#events.next({ type: 'update', object, oldObject: object, initial: true });
      }
    }
  }

  #fail(error: unknown): void {
    this.#failure = error;
    this.#failing = true;
    this.#metrics?.watchFailures.inc({ informer: this.#label, reason: reason(error) });
    this.#metrics?.healthy.set({ informer: this.#label }, 0);
  }

  /** A list or a watch event came: no longer failing, and the backoff starts again from its first delay. */
  #recovered(): void {
    // Always: an established watch may have made the informer healthy already, before any event.
    this.#backoff.reset();
    if (!this.#failing) return;
    this.#healthyAgain();
  }

  /**
   * No longer failing (a list, an event, or a watch the server answered). The backoff is kept: a
   * server that answers and then fails at once is still retried ever more slowly.
   */
  #healthyAgain(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#failure = undefined;
    if (this.#synced) this.#metrics?.healthy.set({ informer: this.#label }, 1);
  }
}

/** Creates an {@link Informer}; it does nothing until started. */
export function createInformer<T extends KubeObject = KubeObject>(options: InformerOptions<T>): Informer<T> {
  return new SharedInformer<T>(options);
}

import type { Clock, KindRef, KubeObject, ObjectClient, ObjectRef } from '@kubekit/client';
import type { LeaderElectionRunnable, Runnable } from '@kubekit/manager';
import type { Registry } from 'prom-client';
import type { Observable } from 'rxjs';
import type { BackoffOptions } from './backoff.js';
import type { Informer, InformerEvent, InformerScope } from './informer.js';
import type { Selector } from './label-selector.js';
import type { IndexFunction } from './store.js';
import type { Transform } from './transform.js';

/** Options of {@link createCache}; each informer's options default to these. */
export interface CacheOptions {
  readonly client: ObjectClient;
  readonly clock?: Clock;
  /** Where the informers' metrics go; `null` for none (default). */
  readonly metrics?: Registry | null;
  readonly pageSize?: number;
  readonly inactivityTimeoutMs?: number;
  readonly resyncPeriodMs?: number;
  readonly backoff?: BackoffOptions;
  readonly relistAfterFailures?: number;
}

/** Per-informer options of {@link Cache.informerFor}. */
export interface CacheInformerOptions<T extends KubeObject = KubeObject> {
  readonly indexers?: Readonly<Record<string, IndexFunction<T>>>;
  readonly transform?: Transform<T> | null;
  readonly metadataOnly?: boolean;
  readonly resyncPeriodMs?: number;
}

/** Where a read looks: a namespace and the selectors of the informer to read from. */
export interface ReadScope {
  readonly namespace?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
}

/** Options of {@link Cache.list}. */
export interface CacheListOptions {
  /** Only objects of this namespace. */
  readonly namespace?: string;
  /** Only objects whose labels match (evaluated on the cached objects). */
  readonly labels?: Selector;
  /** Only objects an index lists under a value (e.g. `{ name: 'ownerUid', value: uid }`). */
  readonly index?: { readonly name: string; readonly value: string };
  /** Read from the informer with exactly these selectors (default: the one without selectors, else the first registered). */
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/**
 * One informer per (kind, namespace, selectors), shared by every consumer, and reads served
 * from them. Informers are registered explicitly with `informerFor`; a read of a kind that has
 * no informer is a `ReconcileError` `noInformer` (a read never starts an informer behind your
 * back), a read before that informer synced is `notSynced`. A Runnable for every replica.
 */
export interface Cache extends Runnable, LeaderElectionRunnable {
  /**
   * The informer of `scope`, created on first call (and started at once if the cache runs).
   * A later call for the same scope returns the same informer; asking it for options it was
   * not created with (other indexes, transform) is a `ReconcileError` `invalidArgument`.
   */
  informerFor<T extends KubeObject = KubeObject>(
    scope: InformerScope,
    options?: CacheInformerOptions<T>,
  ): Informer<T>;
  /** Runs every informer (also those registered later) until `signal` aborts; resolves once all stopped. */
  start(signal: AbortSignal): Promise<void>;
  needLeaderElection(): false;
  /** Resolves true once every informer registered so far has synced; false when `signal` aborts first. */
  waitForCacheSync(signal?: AbortSignal): Promise<boolean>;
  /** The cached object, or undefined when it does not exist (in the cache's view). */
  // The caller names the type of what it reads, as with the client's `get<T>`.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): T | undefined;
  /** The cached objects of a kind that match `options`. */
  list<T extends KubeObject = KubeObject>(kind: KindRef, options?: CacheListOptions): T[];
  /**
   * The informer a read of `kind` goes to (as `get` and `list` choose it): one whose scope holds
   * `namespace` and has exactly the given selectors, preferring one without selectors.
   * @throws ReconcileError `noInformer` when none is registered, `notSynced` before it synced.
   */
  readerFor(kind: KindRef, options?: ReadScope): Informer;
  /** Every informer registered for `kind` (any scope), in registration order; never creates one. */
  informersOf(kind: KindRef): readonly Informer[];
  /** Changes of the informer of `scope` (see {@link Informer.events}); `noInformer` if none is registered. */
  events<T extends KubeObject = KubeObject>(scope: InformerScope): Observable<InformerEvent<T>>;
  /** True when every informer is healthy. */
  healthy(): boolean;
  /** Throws the first unhealthy informer's `ReconcileError` `unhealthy`; for `/readyz`. */
  checkHealth(): void;
}

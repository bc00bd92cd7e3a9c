import type { Clock, KubeObject, ObjectClient } from '@kubekit/client';
import type { LeaderElectionRunnable, Runnable } from '@kubekit/manager';
import type { Registry } from 'prom-client';
import type { Observable } from 'rxjs';
import type { BackoffOptions } from './backoff.js';
import type { IndexFunction } from './store.js';
import type { Transform } from './transform.js';

/** What an informer watches: a kind, optionally one namespace and selectors. */
export interface InformerScope {
  /** E.g. `v1`, `apps/v1`. */
  readonly apiVersion: string;
  readonly kind: string;
  /** Only this namespace; absent: every namespace (and cluster-scoped kinds). */
  readonly namespace?: string | undefined;
  /** Server-side label selector, e.g. `app=web,tier!=db`. */
  readonly labelSelector?: string | undefined;
  /** Server-side field selector, e.g. `metadata.name=x`. */
  readonly fieldSelector?: string | undefined;
}

/** One change an informer saw. */
export interface InformerEvent<T extends KubeObject = KubeObject> {
  readonly type: 'add' | 'update' | 'delete';
  /** The object now (for `delete`: as last seen). */
  readonly object: T;
  /** For `update`: the object before. */
  readonly oldObject?: T;
  /**
   * True for events that do not come from a live change: objects of the initial list (and
   * existing objects replayed to a new subscriber) and resyncs. Queues give them a low priority.
   */
  readonly initial: boolean;
}

/** Options of {@link createInformer}. */
export interface InformerOptions<T extends KubeObject = KubeObject> extends InformerScope {
  /** The client the informer lists and watches with. */
  readonly client: ObjectClient;
  /**
   * Items per page of the list. Default 500 (client-go). The first list asks for
   * resourceVersion "0" (any state, as client-go's reflector), which kube-apiserver's watch cache
   * (and envtest) answer from memory in one piece whatever the limit; relists, and a first list
   * whose resourceVersion "0" the server refused as expired, are consistent and paged.
   */
  readonly pageSize?: number;
  /**
   * A watch that delivers no data (no event, no bookmark) for this long is dropped and resumed,
   * in ms. Not a deadline of the whole watch. Default 120,000 (kube-apiserver sends a bookmark
   * about every minute).
   */
  readonly inactivityTimeoutMs?: number;
  /** Every this many ms, every cached object is delivered again as an `update` (`initial: true`). 0: never (default). */
  readonly resyncPeriodMs?: number;
  /** Applied to every object before it is stored. Default {@link stripManagedFields}; `null` keeps objects whole. */
  readonly transform?: Transform<T> | null;
  /**
   * Read and keep only metadata: the list and watch ask the server for `PartialObjectMetadata`
   * (the client's `metadataOnly`), as controller-runtime's metadata-only informers; each object is
   * stored as `{apiVersion, kind, metadata}` under the informer's own apiVersion and kind, without
   * `managedFields`. `transform` is not applied.
   */
  readonly metadataOnly?: boolean;
  /** Further indexes, by name (`namespace` and `ownerUid` always exist). */
  readonly indexers?: Readonly<Record<string, IndexFunction<T>>>;
  /** Retry backoff after a failed list or watch. */
  readonly backoff?: BackoffOptions;
  /**
   * Watch failures in a row after which the informer lists again instead of resuming. A watch that
   * delivered an event (a bookmark counts) starts the count again, so only watches that fail
   * before delivering anything add up. Default 3.
   */
  readonly relistAfterFailures?: number;
  /** Time source. Default the system's monotonic clock. */
  readonly clock?: Clock;
  /** Where the informer's metrics go; `null` for none (default). */
  readonly metrics?: Registry | null;
  /** Jitter source, for tests. Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * A list-and-watch cache of one kind in one scope, as client-go's shared informer. It never stops
 * on an error while running: a failed list or watch is retried after a capped, jittered backoff
 * and the last good state keeps being served meanwhile. A Runnable that may run on every replica
 * (`needLeaderElection()` is false), so caches warm up before this replica leads.
 */
export interface Informer<T extends KubeObject = KubeObject> extends Runnable, LeaderElectionRunnable {
  readonly scope: InformerScope;
  /**
   * Lists, then watches until `signal` aborts; resolves once stopped (never rejects because of
   * the API server). Call once: a second call rejects with `ReconcileError` `invalidState`.
   */
  start(signal: AbortSignal): Promise<void>;
  /** Always false: informers run on followers too. */
  needLeaderElection(): false;
  /** True once the first list has been stored. */
  hasSynced(): boolean;
  /** Resolves true once synced, false if `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  /** The cached object under `namespace/name` (or `name`), if any. */
  get(key: string): T | undefined;
  /** Every cached object. */
  list(): T[];
  /** The cached objects an index lists under `value`. */
  byIndex(index: string, value: string): T[];
  /**
   * Changes, as they are applied to the cache. A new subscriber first gets an `add` (`initial:
   * true`) for every object already cached, then live changes; it completes when the informer stops.
   */
  events(): Observable<InformerEvent<T>>;
  /**
   * True while synced and not failing: false from a failed list or watch until the next list
   * succeeds, a watch is established (the server answered it and its stream is open: no event
   * needs to come) or a watch delivers an event.
   */
  healthy(): boolean;
  /** Throws a `ReconcileError` (its `cause`: the last failure) when not {@link healthy}; for `/readyz`. */
  checkHealth(): void;
  /** The resourceVersion the cache reflects (a list's, or the last event's or bookmark's). */
  lastResourceVersion(): string | undefined;
}

import type { Clock, KindRef, KubeObject, ObjectClient, ObjectRef, WriteOptions } from '@kubekit/client';
import type { Cache, CacheListOptions } from '../cache/cache.js';

/** Options of {@link createCachedClient}. */
export interface CachedClientOptions {
  /** Where reads come from (usually the manager's shared cache, `cacheFor(manager)`). */
  readonly cache: Cache;
  /** Where writes go (usually the cache's own client, `clientFor(manager)`). */
  readonly client: ObjectClient;
  /**
   * How long a read waits for the cache to reflect this client's earlier writes before it fails
   * with `ReconcileError` `staleCache`, in ms of `clock`. Default 5000; per read: `timeoutMs`.
   */
  readonly readYourWritesTimeoutMs?: number;
  /** `fieldManager` of `apply` when the call gives none. */
  readonly fieldManager?: string;
  /** Time source of the bounded wait. Default the system's monotonic clock. */
  readonly clock?: Clock;
}

/** Options of the cached client's reads. */
export interface CachedReadOptions {
  /** Aborting it ends a wait for the cache at once, rejecting with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Bound of the wait for this client's writes, in ms; default the client's `readYourWritesTimeoutMs`. */
  readonly timeoutMs?: number | undefined;
}

/** Options of the cached client's `list`: the cache's filters plus the wait's. */
export interface CachedListOptions extends CacheListOptions, CachedReadOptions {}

/** Options of the cached client's `apply`: `fieldManager` may come from the client's options. */
export interface CachedApplyOptions extends WriteOptions {
  /** Who owns the applied fields; default the client's `fieldManager` (one of them is required). */
  readonly fieldManager?: string | undefined;
  /** Take fields other managers own instead of failing with 409 Conflict. */
  readonly force?: boolean | undefined;
}

/**
 * controller-runtime's default client, with read-your-writes: reads come from the shared cache's
 * informers, writes go to the API server; after a write has resolved, a read through the same
 * client reflects at least that write.
 *
 * - `get` and `list` never start informers: a kind without one registered in the cache is a
 *   `ReconcileError` `noInformer` (register it with `cache.informerFor`, or use `for`/`owns`);
 *   before it synced, `notSynced`. They return deep copies, which the caller may change.
 * - After a write of this client, a `get` of that object waits until the informer has delivered
 *   a resourceVersion at least the written one (for a delete: until the object is gone from the
 *   cache or replaced by one with another uid; a delete answered with the object, still being
 *   deleted, waits for that version); a `list` waits until every write of this client to objects
 *   in the informer's scope (its namespace, label selector, field selector's name and namespace
 *   terms), or that take an object it holds out of that scope, is reflected. Writes every synced
 *   informer of the kind has caught up with are forgotten; reads with nothing pending answer at
 *   once, synchronously from the cache.
 * - The wait is bounded (`readYourWritesTimeoutMs`, default 5 s) and ends with a
 *   `ReconcileError` `staleCache` naming the object and version, never with a stale answer; the
 *   caller's `signal` ends it at once (rejecting with its reason).
 * - resourceVersions are compared as integers when both are decimal integers (etcd revisions, as
 *   every etcd-backed API server and envtest hand out), although Kubernetes calls them opaque;
 *   otherwise the read accepts the cache when it holds exactly the written version or has
 *   delivered any event for the object after the write.
 * - Writes are those of `@kubekit/client` (same options, same errors); a `dryRun` write is not
 *   waited for.
 */
export interface CachedClient extends Pick<
  ObjectClient,
  'create' | 'update' | 'patch' | 'delete' | 'updateStatus' | 'patchStatus'
> {
  /** The cache reads come from. */
  readonly cache: Cache;
  /** The API client writes go to; read through it when a read must come from the API server. */
  readonly client: ObjectClient;
  /** The cached object (a copy), or undefined when the cache has none. */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef, options?: CachedReadOptions): Promise<T | undefined>;
  /** The cached objects of a kind (copies) that match `options` (see `Cache.list`). */
  list<T extends KubeObject = KubeObject>(kind: KindRef, options?: CachedListOptions): Promise<T[]>;
  /** Server-side apply; `fieldManager` defaults to the client's. */
  apply<T extends KubeObject>(object: T, options?: CachedApplyOptions): Promise<T>;
  /** Unsubscribes from the informers and forgets pending writes; the client stays usable (it subscribes again at its next write). Idempotent. */
  close(): void;
}

import type { Status } from '../kube-client-error.js';
import type { WatchEvent } from '../watch/watch-event.js';
import type { KindRef, KubeList, KubeObject, ObjectRef } from './kube-object.js';

/** Options of every call. */
export interface CallOptions {
  /** Aborting it fails the call at once with kind `aborted` (a `TimeoutError` reason: `timeout`). */
  readonly signal?: AbortSignal | undefined;
  /** Deadline of the call in ms, overriding the client's `requestTimeoutMs`; 0 for none. */
  readonly timeoutMs?: number | undefined;
  /**
   * Called right before each attempt of the request is sent (after any wait of the client: rate
   * limit, authentication, a retry's wait); a throw fails the call with that error and sends
   * nothing more. For a guard that must hold when the request leaves, e.g. a term of leadership.
   */
  readonly beforeSend?: (() => void) | undefined;
}

/** Options of calls that write. */
export interface WriteOptions extends CallOptions {
  /** Validate and answer without storing (`dryRun=All`). */
  readonly dryRun?: boolean | undefined;
  /** The field manager recorded in `managedFields`. */
  readonly fieldManager?: string | undefined;
  /**
   * Send the request again (once) if its connection breaks before the answer. Default false: a
   * repeat that already landed would fail (409). Safe for conditional writes whose caller treats
   * 409 as "someone wrote", e.g. a lock's compare-and-swap.
   */
  readonly idempotent?: boolean | undefined;
}

/** Asks for metadata only (`PartialObjectMetadata`), as client-go's metadata client. */
export interface MetadataOnlyOption {
  /**
   * Ask the server for `meta.k8s.io/v1` PartialObjectMetadata (get, watch events) or
   * PartialObjectMetadataList (lists) instead of whole objects: `apiVersion`, `kind` (those of
   * PartialObjectMetadata) and `metadata` only. A server that cannot answer so says 406. Default false.
   */
  readonly metadataOnly?: boolean | undefined;
}

/** Options of `get`. */
export interface GetOptions extends CallOptions, MetadataOnlyOption {
  /** `resourceVersion` of the read (`"0"`: any, possibly from a cache). */
  readonly resourceVersion?: string | undefined;
}

/** Selectors shared by list, watch and deleteCollection. */
export interface SelectorOptions {
  /** E.g. `app=web,tier!=db`. */
  readonly labelSelector?: string | undefined;
  /** E.g. `metadata.name=x`. */
  readonly fieldSelector?: string | undefined;
}

/** Options of `list`. */
export interface ListOptions extends CallOptions, SelectorOptions, MetadataOnlyOption {
  /** At most this many items; the answer's `metadata.continue` fetches the next page. */
  readonly limit?: number | undefined;
  readonly continue?: string | undefined;
  readonly resourceVersion?: string | undefined;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan' | undefined;
}

/** Options of `listAll` and `listPages`. */
export interface ListAllOptions extends CallOptions, SelectorOptions, MetadataOnlyOption {
  /** Items per page. Default 500 (client-go's pager). */
  readonly pageSize?: number | undefined;
  /**
   * `resourceVersion` of the first page (`"0"`: any, possibly from the server's cache, as
   * client-go's informers list first); later pages follow its continue token, which carries it.
   */
  readonly resourceVersion?: string | undefined;
  /** `resourceVersionMatch` of the first page. */
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan' | undefined;
  /**
   * Send the next page's request as soon as a page's `metadata.continue` has arrived (the API
   * server writes a List's `metadata` before its `items`), so the server prepares the next page
   * while this one is still arriving and being read; at most one request ahead. Pages are still
   * yielded in order, each once; an error of the next page is thrown after this page as without
   * pipelining; ending the iteration early aborts the request ahead. When an answer does not start
   * with its metadata, the next request waits for the whole answer. Default true.
   */
  readonly pipelined?: boolean | undefined;
}

/** Options of `watch`. */
export interface WatchOptions extends SelectorOptions, MetadataOnlyOption {
  /** Stops the watch: the iteration then throws kind `aborted`. */
  readonly signal?: AbortSignal | undefined;
  /** Start after this resourceVersion; absent or `"0"`: synthetic ADDED events for the current objects first. */
  readonly resourceVersion?: string | undefined;
  /** Ask for BOOKMARK events (passed through to the iteration). */
  readonly allowWatchBookmarks?: boolean | undefined;
  /** Ask the server to end the watch after this many seconds. */
  readonly timeoutSeconds?: number | undefined;
  /** Initial events as ADDED, then a bookmark annotated `k8s.io/initial-events-end` (needs bookmarks). */
  readonly sendInitialEvents?: boolean | undefined;
  /**
   * The watch fails with kind `timeout` after this long without data from the server (or without
   * an answer to the request), in ms of the client's `clock`; not a deadline of the whole watch;
   * 0 for never. Default the client's `watchInactivityTimeoutMs`.
   */
  readonly inactivityTimeoutMs?: number | undefined;
  /**
   * Called once the server has answered the watch with 200 and its stream is open, before any
   * event (a watch of a quiet kind may deliver none for a minute). Not called when the request
   * fails or is refused; an `ERROR` event later in the stream still fails the iteration.
   */
  readonly onEstablished?: (() => void) | undefined;
}

/** Options of `patch` and `patchStatus`. */
export interface PatchOptions extends WriteOptions {
  /**
   * `merge` (RFC 7386, `application/merge-patch+json`; the default), `json` (RFC 6902 operations,
   * `application/json-patch+json`) or `strategic` (`application/strategic-merge-patch+json`:
   * built-in kinds only).
   */
  readonly type?: 'merge' | 'json' | 'strategic' | undefined;
}

/** Options of `apply` (server-side apply). */
export interface ApplyOptions extends CallOptions {
  /** Who owns the applied fields. Required. */
  readonly fieldManager: string;
  /** Take fields other managers own instead of failing with 409 Conflict. */
  readonly force?: boolean | undefined;
  readonly dryRun?: boolean | undefined;
}

/** Options of `delete`. */
export interface DeleteOptions extends CallOptions {
  /** Delete only if the object still has this uid and/or resourceVersion (else 409 Conflict). */
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string } | undefined;
  /** What happens to dependents: `Background` (the server's default for most kinds), `Foreground`, `Orphan`. */
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' | undefined;
  readonly gracePeriodSeconds?: number | undefined;
  readonly dryRun?: boolean | undefined;
}

/** Options of `deleteCollection`. */
export interface DeleteCollectionOptions extends DeleteOptions, SelectorOptions {}

/**
 * A generic client over plain JSON objects (no class conversion), as controller-runtime's
 * `client.Client`: every kind by apiVersion + kind, resolved to its resource by a REST mapper
 * from discovery. Every call rejects with a {@link KubeClientError}: kind `api` for the server's
 * errors (test them with `isNotFound`, `isConflict`, …), `noKindMatch` when nothing serves the
 * kind, `invalidArgument` for an object without apiVersion, kind, name or (namespaced kinds)
 * namespace, and the transport's kinds (`network`, `timeout`, `aborted`, `auth`…).
 */
export interface ObjectClient {
  /** Reads one object. */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef, options?: GetOptions): Promise<T>;
  /** Reads one page of a list (all of it without `limit`). */
  list<T extends KubeObject = KubeObject>(ref: KindRef, options?: ListOptions): Promise<KubeList<T>>;
  /** Reads a list page by page (`pageSize`), as client-go's pager. */
  listPages<T extends KubeObject = KubeObject>(
    ref: KindRef,
    options?: ListAllOptions,
  ): AsyncIterable<KubeList<T>>;
  /**
   * Reads a whole list page by page and resolves with every item; `metadata.resourceVersion` is
   * the first page's (a consistent snapshot to watch from). When a continue token expires (410)
   * it reads the list again in one request, as client-go's pager.
   */
  listAll<T extends KubeObject = KubeObject>(ref: KindRef, options?: ListAllOptions): Promise<KubeList<T>>;
  /**
   * Watches a kind (in a namespace, or all), or one object when `ref.name` is given (a field
   * selector on its name). The request starts on the first `next()`; the iteration yields
   * ADDED/MODIFIED/DELETED/BOOKMARK events, ends when the server ends the stream (restart from the
   * last resourceVersion seen), and throws a `KubeClientError`: kind `api` for an `ERROR` event or
   * a refused watch (`isExpired`: re-list), `timeout` after `inactivityTimeoutMs` without data,
   * `invalidResponse` for an unreadable or too long event, `network` when the connection breaks,
   * `aborted` when `signal` aborts. Leaving the loop early (`break`) closes the stream.
   */
  watch<T extends KubeObject = KubeObject>(
    ref: KindRef & { readonly name?: string | undefined },
    options?: WatchOptions,
  ): AsyncIterable<WatchEvent<T>>;
  /** Creates `object` (its `metadata.namespace` for namespaced kinds); resolves with the stored object. */
  create<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  /** Replaces `object` (PUT; conditional when `metadata.resourceVersion` is set: 409 if stale). */
  update<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  /** Patches one object (`type`: merge by default). */
  patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    options?: PatchOptions,
  ): Promise<T>;
  /**
   * Server-side apply of `object` (a PATCH with `application/apply-patch+yaml`; the body is JSON,
   * which is YAML): creates or updates the fields `fieldManager` owns; a field another manager
   * owns is a 409 Conflict unless `force`.
   */
  apply<T extends KubeObject>(object: T, options: ApplyOptions): Promise<T>;
  /**
   * Deletes one object. Resolves with the server's answer: the object (when deletion is not
   * immediate, e.g. finalizers, or for kinds whose delete answers with it) or a Success Status.
   */
  delete<T extends KubeObject = KubeObject>(ref: ObjectRef, options?: DeleteOptions): Promise<T | Status>;
  /** Deletes every matching object of a kind (in a namespace); resolves with the server's answer. */
  deleteCollection(ref: KindRef, options?: DeleteCollectionOptions): Promise<KubeList | Status>;
  /** Replaces `object`'s status (PUT on the `status` subresource: other fields are ignored). */
  updateStatus<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  /** Patches the `status` subresource. */
  patchStatus<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    options?: PatchOptions,
  ): Promise<T>;
}

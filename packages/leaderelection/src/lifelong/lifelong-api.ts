/**
 * The few Kubernetes API calls leader-for-life needs, behind a narrow interface so that the
 * elector's logic can be unit-tested against an in-memory fake. `KubernetesLifelongApi` implements
 * it with `@kubekit/client`.
 *
 * Every method rejects with an error whose numeric `code` (or `statusCode`) is the HTTP status when
 * the API server answered with an error (`@kubekit/client`'s `KubeClientError` of kind `api`); see {@link statusCodeOf}.
 * Each request is abandoned (rejects) as soon as its `signal` aborts.
 */
export interface LifelongApi {
  getPod(namespace: string, name: string, signal?: AbortSignal): Promise<PodInfo>;
  /** Deletes a Pod only if it still has `uid` (a UID precondition): 409 if not, 404 if absent. */
  deletePod(namespace: string, name: string, uid: string, signal?: AbortSignal): Promise<void>;
  getNode(name: string, signal?: AbortSignal): Promise<NodeInfo>;
  getConfigMap(namespace: string, name: string, signal?: AbortSignal): Promise<LockInfo>;
  /** Creates the lock ConfigMap owned by `owner`: 409 (AlreadyExists) when it exists. */
  createConfigMap(
    namespace: string,
    name: string,
    owner: PodOwner,
    annotations: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<LockInfo>;
  /** Deletes the lock only if it still has `uid` (a UID precondition): 409 if not, 404 if absent. */
  deleteConfigMap(namespace: string, name: string, uid: string, signal?: AbortSignal): Promise<void>;
  /**
   * Watches the one ConfigMap `name` (field selector `metadata.name=<name>`) from `resourceVersion`
   * (from "now" with the current object as ADDED when undefined), calling `onEvent` for every
   * event. Resolves when the stream ends without an error — the server closed it or it was quiet
   * for too long (30 s of silence, as client-node 2.0.1's `Watch`) — and as soon as `signal`
   * aborts, without waiting for a watch that is still connecting (that one is closed the moment it
   * opens, or fails); no event is delivered after that. Rejects when the watch cannot be opened or
   * the server sends an `ERROR` event (410 Expired: start again from a fresh read).
   */
  watchConfigMap(
    namespace: string,
    name: string,
    resourceVersion: string | undefined,
    onEvent: (event: LockEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/** The Pod that owns a lock, as its owner reference names it. */
export interface PodOwner {
  readonly name: string;
  readonly uid: string;
}

/** What leader-for-life needs to know of a Pod. */
export interface PodInfo {
  readonly name: string;
  readonly uid: string;
  /** `status.phase`: Pending, Running, Succeeded, Failed, Unknown. */
  readonly phase: string | undefined;
  /** `status.reason`, e.g. Evicted, Preempting. */
  readonly reason: string | undefined;
  /** `spec.nodeName`, once scheduled. */
  readonly nodeName: string | undefined;
  /** True once the Pod is being deleted (`metadata.deletionTimestamp` is set). */
  readonly terminating: boolean;
}

/** What leader-for-life needs to know of a Node. */
export interface NodeInfo {
  readonly name: string;
  /** The `Ready` condition's status; `Unknown` when the Node reports none. */
  readonly ready: 'True' | 'False' | 'Unknown';
  /**
   * The `Ready` condition's `lastTransitionTime` as written (compared only for equality, never as a
   * time): a change between two not-Ready readings means the Node was Ready in between.
   */
  readonly readySince?: string | undefined;
}

/** The lock ConfigMap. */
export interface LockInfo {
  readonly uid: string;
  readonly resourceVersion: string;
  /** Its owner reference of kind Pod, if any. */
  readonly owner: PodOwner | undefined;
  readonly annotations: Readonly<Record<string, string>>;
}

/** One event of a watch on the lock. */
export type LockEvent =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly lock: LockInfo }
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: string };

/** The HTTP status of an API error (`KubeClientError.code`, a watch `ERROR` event's code, any numeric `statusCode`). */
export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  if (typeof statusCode === 'number') return statusCode;
  return undefined;
}

import type { KubeConfig } from '@kubernetes/client-node';

/** Options of `startEnvtest`. Every field is optional. */
export interface EnvtestOptions {
  /** Address to listen on. Default `127.0.0.1`; anything else must be asked for explicitly. */
  readonly host?: string;
  /** TCP port. Default 0 (any free port). */
  readonly port?: number;
  /** Serve plain HTTP instead of HTTPS (debugging only): every request acts as the admin. */
  readonly insecure?: boolean;
  /**
   * Offer HTTP/2 by ALPN (`h2`) besides HTTP/1.1 on the same port, as kube-apiserver does: a
   * client that negotiates it multiplexes its requests and watches (each an HTTP/2 stream) over
   * one TLS connection. Default true; false serves HTTP/1.1 only, so tests can pick the
   * protocol. Plain HTTP (`insecure`) is always HTTP/1.1.
   */
  readonly http2?: boolean;
  /** Delay before the garbage collector deletes an orphaned dependent, in ms. Default 0. */
  readonly gcDelayMs?: number;
  /**
   * Named users created at start, each with its own bearer token and kubeconfig context. A name
   * alone is an admin (allowed everything); an `EnvtestUser` is subject to RBAC.
   */
  readonly users?: readonly (string | EnvtestUser)[];
  /**
   * Grace period of a Pod deleted without `gracePeriodSeconds` whose spec has no
   * `terminationGracePeriodSeconds`, in ms. Default 100 (kube-apiserver's default is 30 s, too
   * long for tests). An explicit grace period is always honoured, in seconds.
   */
  readonly podGracePeriodMs?: number;
  /**
   * Interval of BOOKMARK events on watches that allow them, in ms. Default 60000: about as often as
   * kube-apiserver sends them, so that clients meet their own inactivity timeouts as in a cluster.
   */
  readonly bookmarkIntervalMs?: number;
  /**
   * How long a watch from a resourceVersion the server has not reached yet waits for it, in ms;
   * then it ends with an ERROR event: 504 Timeout "Too large resource version", cause
   * `ResourceVersionTooLarge`, as kube-apiserver's watch cache answers. Default 3000.
   */
  readonly futureResourceVersionWaitMs?: number;
  /**
   * Changes kept per resource for watches to resume from (at least this many, at most 1.5 times
   * as many); a watch from an older resourceVersion gets 410 Expired. Default 10000.
   */
  readonly watchHistorySize?: number;
}

/**
 * A user subject to RBAC: its requests are allowed only as the Roles and ClusterRoles bound to
 * it (by RoleBindings and ClusterRoleBindings naming it as User, one of its Groups, or its
 * ServiceAccount) allow; otherwise 403 Forbidden as kube-apiserver answers.
 */
export interface EnvtestUser {
  /** The envtest user name: its kubeconfig context, and its RBAC User name unless `serviceAccount`. */
  readonly name: string;
  /** Groups it belongs to besides `system:authenticated`. */
  readonly groups?: readonly string[];
  /** Act as this service account: user `system:serviceaccount:NAMESPACE:NAME` and its groups. */
  readonly serviceAccount?: { readonly namespace: string; readonly name: string };
}

/** A verb as kube-apiserver's audit log and RBAC name it. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** Which requests a fault or a counter query applies to; an absent field matches everything. */
export interface RequestMatch {
  /** A user name from `EnvtestOptions.users` / `addUser`, or `admin`. */
  readonly user?: string;
  readonly verb?: Verb;
  /** Plural resource name, e.g. `leases`, `configmaps`, `pods`. */
  readonly resource?: string;
  /** Subresource, e.g. `status`; `''` matches only requests to the main resource. */
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

/**
 * A fault applied to matching requests. Exactly one effect besides `latencyMs` may be set;
 * `latencyMs` may be combined with `error`.
 */
export interface FaultRule extends RequestMatch {
  /** Delay every matching request by this many ms before serving (or failing) it. */
  readonly latencyMs?: number;
  /** Answer with a Status error of this code (e.g. 403, 429, 500, 503, 504). */
  readonly error?: { readonly code: number; readonly retryAfterSeconds?: number; readonly message?: string };
  /** Never answer: the request hangs until the client gives up (or the fault is removed). */
  readonly hang?: boolean;
  /** Refuse the connection's requests outright (the connection is destroyed, over HTTP/2 its whole session): a network partition. */
  readonly partition?: boolean;
  /** Apply to this many matching requests only, then remove itself. Default: unlimited. */
  readonly times?: number;
}

/** A fault in force; `remove()` ends it (hung requests then fail as a dropped connection). */
export interface Fault {
  remove(): void;
}

/** Fault injection, in-process. The same is served over HTTP under `/_envtest/` (see README). */
export interface FaultInjector {
  add(rule: FaultRule): Fault;
  /** Closes the open watch streams that match; returns how many were closed. */
  dropWatches(match?: RequestMatch): number;
  /**
   * Stalls the open watch streams that match: they send nothing more (no events, no bookmarks,
   * no end at `timeoutSeconds`) while their connections stay open, until the client gives up or
   * the server stops. Watches opened later are not affected. Returns how many were stalled.
   */
  stallWatches(match?: RequestMatch): number;
  /**
   * Writes `line` (default a truncated event line, `{"type":"MODIFIED","object":{"metadata":`
   * and a newline) on the open watch streams that match, which stay open and keep sending
   * events. Returns how many got it.
   */
  corruptWatches(match?: RequestMatch, line?: string): number;
  /**
   * Arms the open watch streams that match: the next event each sends (ADDED, MODIFIED or
   * DELETED) is written in part, its first half without the newline, and then the stream's
   * connection is destroyed (on HTTP/2 the whole session), as a network failure in the middle of
   * an event. The event is not lost on the server: a watch resumed from the last complete event's
   * resourceVersion gets it again. Watches opened later are not affected. Returns how many streams
   * were armed (a stalled or already armed one is not).
   */
  cutWatchesMidEvent(match?: RequestMatch): number;
  /** Removes every fault. */
  clear(): void;
}

/** Counts of served requests (including failed and faulted ones), by user, verb and resource. */
export interface RequestCounters {
  /** How many requests matched since start or the last `reset()`. */
  count(match?: RequestMatch): number;
  /** Every non-zero count, keyed `user verb resource`. */
  snapshot(): Record<string, number>;
  reset(): void;
}

/** The connections clients opened and the protocols their requests used, since start. */
export interface ConnectionStats {
  /** Connections accepted: TLS handshakes completed (TCP connections in insecure mode). */
  readonly accepted: number;
  /** Of those, the ones open now. */
  readonly open: number;
  /** Watch streams open now (each an HTTP/2 stream or an HTTP/1.1 connection of its own). */
  readonly watches: number;
  /** Requests received, by protocol as ALPN names it (`h2` for HTTP/2). */
  readonly requests: { readonly h2: number; readonly 'http/1.1': number };
}

/** What a test can do to the simulated cluster that no API client can. */
export interface ClusterControl {
  /** Sets a Pod's `status.phase` and `status.reason` (e.g. `Failed` / `Evicted`). */
  setPodStatus(namespace: string, name: string, status: { phase: string; reason?: string }): Promise<void>;
  /**
   * Sets a Node's `Ready` condition. While a Node is not Ready (`False` or `Unknown`) its kubelet
   * is dead: Pods on it that are deleted gracefully stay Terminating until force-deleted.
   */
  setNodeReady(name: string, ready: 'True' | 'False' | 'Unknown'): Promise<void>;
  /** Creates a namespace in-process (no request is counted); resolves with its name. */
  createNamespace(name: string): Promise<string>;
  /** Deletes a namespace in-process: it turns Terminating, is emptied, then removed. */
  deleteNamespace(name: string): Promise<void>;
  /**
   * Forgets the watch history up to now, as an etcd compaction: a later watch from an older
   * resourceVersion gets a `410 Expired` ERROR event.
   */
  compact(): void;
}

/** A running embedded API server. */
export interface Envtest {
  /** Base URL, e.g. `https://127.0.0.1:41234`. */
  readonly url: string;
  /** A client-node KubeConfig for the admin user (CA included). */
  readonly kubeConfig: KubeConfig;
  /** A KubeConfig that authenticates as `user` (created by `users` or `addUser`). */
  kubeConfigFor(user: string): KubeConfig;
  /** Creates a named user with its own token (an admin, or an RBAC subject); idempotent. */
  addUser(user: string | EnvtestUser): void;
  /** Writes a kubeconfig file with the admin context (current) and one context per user. */
  writeKubeconfig(path: string): Promise<void>;
  readonly faults: FaultInjector;
  readonly counters: RequestCounters;
  readonly cluster: ClusterControl;
  /** The protocols served (`['h2', 'http/1.1']` unless `http2: false` or `insecure`). */
  readonly protocols: readonly ('h2' | 'http/1.1')[];
  /** A snapshot of the connections and the protocol of each request so far. */
  connectionStats(): ConnectionStats;
  /** Closes every connection and watch and stops the GC; resolves when no handle is left. Idempotent. */
  stop(): Promise<void>;
}

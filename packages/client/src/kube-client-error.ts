const brand = Symbol.for('@kubekit/client.KubeClientError');

/** What went wrong, for code that must react differently to each case. */
export type KubeClientErrorKind =
  /** The API server answered with an error status (see `code`, `reason`, `status`). */
  | 'api'
  /** The call's deadline passed (its `timeoutMs`), or a watch saw no data for its inactivity timeout. */
  | 'timeout'
  /** The caller's `AbortSignal` aborted (`cause` is its reason). */
  | 'aborted'
  /** The connection failed (refused, reset, TLS failure, proxy failure); `cause` is undici's error. */
  | 'network'
  /** Authentication (client-node's `KubeConfig`: tokens, exec plugins…) failed; `cause` says why. */
  | 'auth'
  /** Authentication did not finish within `authTimeoutMs` (e.g. a hung exec plugin). */
  | 'authTimeout'
  /** The server's answer is not what the API promises (not JSON, a watch line too long…). */
  | 'invalidResponse'
  /** No resource serves this apiVersion and kind (after refreshing discovery). */
  | 'noKindMatch'
  /** A bad argument or configuration (an object without a name, a kubeconfig without a cluster…). */
  | 'invalidArgument'
  /** The client was closed. */
  | 'closed';

/** The `details` of a Kubernetes `Status`. */
export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  /** The plural resource (or, for 422 Invalid, the Kind). */
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

/** One cause of a Kubernetes `Status` (e.g. a field that failed validation). */
export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

/** A Kubernetes `Status` object (`kind: Status`), as the API server sends for errors. */
export interface Status {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly details?: StatusDetails;
  readonly code?: number;
}

/** Options of {@link KubeClientError}: the standard `cause`, and the server's answer when there is one. */
export interface KubeClientErrorOptions extends ErrorOptions {
  /** The HTTP status code (kind `api`), or a watch `ERROR` event's Status code. */
  readonly code?: number;
  /** The server's Status, when it sent one. */
  readonly status?: Status;
  /** Seconds the server asked to wait (`Retry-After` or `details.retryAfterSeconds`). */
  readonly retryAfter?: number;
  /** The request was sent again after an attempt that may have been applied (see `resent`). */
  readonly resent?: boolean;
}

/**
 * The one error class of `@kubekit/client`. Use {@link KubeClientError.is} rather than
 * `instanceof`: it also recognises errors thrown by another installed copy of the package. API
 * errors (kind `api`) carry the server's `Status`: test them with the helpers of `api-errors`
 * (`isNotFound`, `isConflict`, …), as apimachinery's `errors.IsNotFound`.
 */
export class KubeClientError extends Error {
  readonly kind: KubeClientErrorKind;
  /** The HTTP status code, or the code of a watch `ERROR` event's Status; undefined otherwise. */
  readonly code: number | undefined;
  /** The Status `reason` (e.g. `NotFound`, `Conflict`); `''` when the server gave none. */
  readonly reason: string;
  /** The Status `details`, when the server sent them. */
  readonly details: StatusDetails | undefined;
  /** The Status `details.causes` (empty when none). */
  readonly causes: readonly StatusCause[];
  /** Seconds the server asked to wait before retrying (`Retry-After`), when it did. */
  readonly retryAfter: number | undefined;
  /** The whole Status, when the server sent one. */
  readonly status: Status | undefined;
  /**
   * True when this answer is to a request sent again after an earlier attempt that may have been
   * applied: its connection broke mid-way, or it was answered a 5xx (a server-side timeout can come
   * after the change was stored). A 409 then may be that attempt's own write in the way of its
   * repeat (or another writer's, as ever): only a read can tell. False when the request was sent
   * once, or again only after the server provably did not process it (401, 429, a connection that
   * never opened).
   */
  readonly resent: boolean;
  readonly [brand] = true;

  constructor(kind: KubeClientErrorKind, message: string, options?: KubeClientErrorOptions) {
    super(message, options);
    this.name = 'KubeClientError';
    this.kind = kind;
    this.code = options?.code;
    this.status = options?.status;
    this.reason = options?.status?.reason ?? '';
    this.details = options?.status?.details;
    this.causes = options?.status?.details?.causes ?? [];
    this.retryAfter = options?.retryAfter ?? options?.status?.details?.retryAfterSeconds;
    this.resent = options?.resent ?? false;
  }

  /** True for any `KubeClientError` (of any copy of the package), optionally of one kind. */
  static is(value: unknown, kind?: KubeClientErrorKind): value is KubeClientError {
    if (typeof value !== 'object' || value === null || !(brand in value)) return false;
    return kind === undefined || (value as KubeClientError).kind === kind;
  }
}

const brand = Symbol.for('@kubekit/leaderelection.LeaderElectionError');

/** What went wrong, for code that must react differently to each case. */
export type LeaderElectionErrorKind =
  | 'invalidConfig'
  | 'notInCluster'
  | 'noNamespace'
  | 'noPodName'
  | 'podNotFound'
  | 'forbidden'
  | 'lockConflict'
  | 'apiError'
  | 'stopped'
  | 'timeout'
  | 'watchExpired'
  | 'lost'
  | 'drainTimeout'
  | 'duplicateIdentity'
  | 'unhealthy';

/** Options of {@link LeaderElectionError}: the standard `cause`, and the HTTP status when known. */
export interface LeaderElectionErrorOptions extends ErrorOptions {
  /** The API server's HTTP status code, when the error is an API response. */
  readonly statusCode?: number;
  /** The answer is to a request sent again after an attempt that may have been applied (see `LeaderElectionError.resent`). */
  readonly resent?: boolean;
}

/**
 * The one error class of `@kubekit/leaderelection`. Use {@link LeaderElectionError.is} rather
 * than `instanceof`: it also recognises errors thrown by another installed copy of the package.
 */
export class LeaderElectionError extends Error {
  readonly kind: LeaderElectionErrorKind;
  /** The API server's HTTP status code, when the error is an API response. */
  readonly statusCode: number | undefined;
  /**
   * The answer is to a write sent again after an attempt that may have been applied (its
   * connection broke mid-way, or a 5xx): a `lockConflict` then may be that attempt's own record in
   * the way of its repeat, as well as another writer's. A `Lock` sets it when its transport says so.
   */
  readonly resent: boolean;
  readonly [brand] = true;

  constructor(kind: LeaderElectionErrorKind, message: string, options?: LeaderElectionErrorOptions) {
    super(message, options);
    this.name = 'LeaderElectionError';
    this.kind = kind;
    this.statusCode = options?.statusCode;
    this.resent = options?.resent ?? false;
  }

  /** True for any `LeaderElectionError` (of any copy of the package), optionally of one kind. */
  static is(value: unknown, kind?: LeaderElectionErrorKind): value is LeaderElectionError {
    if (typeof value !== 'object' || value === null || !(brand in value)) return false;
    return kind === undefined || (value as LeaderElectionError).kind === kind;
  }
}

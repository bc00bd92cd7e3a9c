const brand = Symbol.for('@kubekit/reconcile.ReconcileError');

/** What went wrong, for code that must react differently to each case. */
export type ReconcileErrorKind =
  /** An option or argument is out of range or malformed. */
  | 'invalidArgument'
  /** A component was started twice, or used in a state that does not allow it. */
  | 'invalidState'
  /** A cache read of a kind (and scope) for which no informer was registered. */
  | 'noInformer'
  /** A cache read before the informer has synced. */
  | 'notSynced'
  /** An informer that is not synced or whose last list or watch failed (a readiness check). */
  | 'unhealthy'
  /**
   * A read of the cached client waited longer than its bound for the cache to reflect this
   * client's own write (the informer is behind or its watch stalled); retry, or read from the API.
   */
  | 'staleCache'
  /** A reconcile ran longer than its controller's `reconcileTimeoutMs` (its signal's abort reason). */
  | 'timeout'
  /** A second controller of the same name on one manager. */
  | 'duplicateController'
  /** `setControllerReference` on an object another owner controls already. */
  | 'alreadyOwned'
  /** A write of a fenced client not sent: its term of leadership has ended or has too little time left. */
  | 'fenced';

/**
 * The one error class of `@kubekit/reconcile` (beside {@link TerminalError}, which reconcilers
 * throw). Use {@link ReconcileError.is} rather than `instanceof`: it also recognises errors thrown
 * by another installed copy of the package.
 */
export class ReconcileError extends Error {
  readonly kind: ReconcileErrorKind;
  readonly [brand] = true;

  constructor(kind: ReconcileErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReconcileError';
    this.kind = kind;
  }

  /** True for any `ReconcileError` (of any copy of the package), optionally of one kind. */
  static is(value: unknown, kind?: ReconcileErrorKind): value is ReconcileError {
    if (typeof value !== 'object' || value === null || !(brand in value)) return false;
    return kind === undefined || (value as ReconcileError).kind === kind;
  }
}

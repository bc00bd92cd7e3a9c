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
  | 'lockUnreadable'
  | 'apiError'
  | 'stopped';

/**
 * The one error class of `@kubekit/leaderelection`. Use {@link LeaderElectionError.is} rather
 * than `instanceof`: it also recognises errors thrown by another installed copy of the package.
 */
export class LeaderElectionError extends Error {
  readonly kind: LeaderElectionErrorKind;
  readonly [brand] = true;

  constructor(kind: LeaderElectionErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LeaderElectionError';
    this.kind = kind;
  }

  /** True for any `LeaderElectionError` (of any copy of the package), optionally of one kind. */
  static is(value: unknown, kind?: LeaderElectionErrorKind): value is LeaderElectionError {
    if (typeof value !== 'object' || value === null || !(brand in value)) return false;
    return kind === undefined || (value as LeaderElectionError).kind === kind;
  }
}

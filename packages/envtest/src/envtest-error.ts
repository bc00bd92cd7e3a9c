const brand = Symbol.for('@kubekit/envtest.EnvtestError');

/** What went wrong, for code that must react differently to each case. */
export type EnvtestErrorKind =
  | 'invalidOptions'
  | 'startFailed'
  | 'notRunning'
  | 'invalidFault'
  | 'unknownUser'
  | 'notFound'
  | 'alreadyRunning';

/**
 * The one error class of `@kubekit/envtest`. Use {@link EnvtestError.is} rather than
 * `instanceof`: it also recognises errors thrown by another installed copy of the package.
 */
export class EnvtestError extends Error {
  readonly kind: EnvtestErrorKind;
  readonly [brand] = true;

  constructor(kind: EnvtestErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EnvtestError';
    this.kind = kind;
  }

  /** True for any `EnvtestError` (of any copy of the package), optionally of one kind. */
  static is(value: unknown, kind?: EnvtestErrorKind): value is EnvtestError {
    if (typeof value !== 'object' || value === null || !(brand in value)) return false;
    return kind === undefined || (value as EnvtestError).kind === kind;
  }
}

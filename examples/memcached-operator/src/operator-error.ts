const brand = Symbol.for('@kubekit/example-memcached-operator.OperatorError');

/** What went wrong, for callers that branch on it. */
export type OperatorErrorKind = 'invalidArguments' | 'notOwned';

/** The example's one error class: bad command-line input, a Deployment it does not own. */
export class OperatorError extends Error {
  readonly [brand] = true;
  readonly kind: OperatorErrorKind;

  constructor(kind: OperatorErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OperatorError';
    this.kind = kind;
  }

  /** True for an `OperatorError` (of `kind`, when given), also from another installed copy. */
  static is(value: unknown, kind?: OperatorErrorKind): value is OperatorError {
    if (typeof value !== 'object' || value === null || !(brand in value)) return false;
    return kind === undefined || (value as OperatorError).kind === kind;
  }
}

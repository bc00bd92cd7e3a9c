const brand = Symbol.for('@kubekit/manager.ManagerError');

/** What went wrong, for code that must react differently to each case. */
export type ManagerErrorKind = 'invalidState' | 'runnableFailed' | 'startFailed';

/**
 * The one error class of `@kubekit/manager`. Use {@link ManagerError.is} rather than
 * `instanceof`: it also recognises errors thrown by another installed copy of the package.
 */
export class ManagerError extends Error {
  readonly kind: ManagerErrorKind;
  readonly [brand] = true;

  constructor(kind: ManagerErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ManagerError';
    this.kind = kind;
  }

  /** True for any `ManagerError` (of any copy of the package), optionally of one kind. */
  static is(value: unknown, kind?: ManagerErrorKind): value is ManagerError {
    if (typeof value !== 'object' || value === null || !(brand in value)) return false;
    return kind === undefined || (value as ManagerError).kind === kind;
  }
}

const brand = Symbol.for('@kubekit/reconcile.TerminalError');

/**
 * Returned (thrown) by a Reconciler for a failure that retrying cannot fix: the request is
 * dropped from the queue instead of being requeued with backoff. Use {@link TerminalError.is}
 * rather than `instanceof`: it also recognises errors from another installed copy of the package.
 */
export class TerminalError extends Error {
  readonly [brand] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }

  /** True for any `TerminalError`, also one found anywhere along a `cause` chain. */
  static is(value: unknown): value is TerminalError {
    for (let seen = 0, current = value; seen < 32; seen++) {
      if (typeof current !== 'object' || current === null) return false;
      if (brand in current) return true;
      current = (current as { cause?: unknown }).cause;
    }
    return false;
  }
}

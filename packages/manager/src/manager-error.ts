const brand = Symbol.for('@kubekit/manager.ManagerError');

/**
 * What went wrong, for code that must react differently to each case:
 *
 * - `invalidConfig`: bad options or a bad `add` (not a Runnable, a duplicate health check, a
 *   leader-gated runnable that cannot restart under `recampaign`); nothing was started.
 * - `invalidState`: `start` called twice, `add` after the manager stopped.
 * - `bindFailed`: the health-probe or metrics address could not be bound; nothing else was started.
 * - `startFailed`: a cache did not sync (or its sync failed) before the manager could go on.
 * - `runnableFailed`: a runnable rejected (the cause is its error); the manager stopped.
 * - `leaderElectionFailed`: the elector's `run` rejected, or ended while the manager ran.
 * - `leadershipLost`: this replica lost its leadership (with `onLeadershipLost: 'exit'`), or
 *   leader-gated runnables did not stop in time after a loss (`runnables` names them).
 * - `shutdownTimeout`: runnables had not stopped by `gracefulShutdownTimeout` (`runnables` names them).
 */
export type ManagerErrorKind =
  | 'invalidConfig'
  | 'invalidState'
  | 'bindFailed'
  | 'startFailed'
  | 'runnableFailed'
  | 'leaderElectionFailed'
  | 'leadershipLost'
  | 'shutdownTimeout';

/** Options of {@link ManagerError}: the standard `cause`, and the runnables concerned. */
export interface ManagerErrorOptions extends ErrorOptions {
  /** The runnables the error is about (those that failed, or did not stop in time). */
  readonly runnables?: readonly string[];
}

/**
 * The one error class of `@kubekit/manager`. Use {@link ManagerError.is} rather than
 * `instanceof`: it also recognises errors thrown by another installed copy of the package.
 */
export class ManagerError extends Error {
  readonly kind: ManagerErrorKind;
  /** The runnables the error is about, by name (empty when it is about none). */
  readonly runnables: readonly string[];
  readonly [brand] = true;

  constructor(kind: ManagerErrorKind, message: string, options?: ManagerErrorOptions) {
    super(message, options);
    this.name = 'ManagerError';
    this.kind = kind;
    this.runnables = options?.runnables ?? [];
  }

  /** True for any `ManagerError` (of any copy of the package), optionally of one kind. */
  static is(value: unknown, kind?: ManagerErrorKind): value is ManagerError {
    if (typeof value !== 'object' || value === null || !(brand in value)) return false;
    return kind === undefined || (value as ManagerError).kind === kind;
  }
}

import type { Observable } from 'rxjs';

/**
 * One uninterrupted period of leadership. A new Term begins with every acquisition; a Term never
 * resumes once it has ended.
 */
export interface Term {
  /** The identity that holds the lock during this term. */
  readonly identity: string;
  /**
   * Increases with every change of holder (the lock's `leaseTransitions`); two terms of the same
   * lock never share an epoch. Use it as a fencing token.
   */
  readonly epoch: number;
  /** When this replica acquired the lock, in the elector's monotonic milliseconds. */
  readonly acquiredAt: number;
  /** When this replica acquired the lock, in wall-clock time (for logs and humans only). */
  readonly acquireTime: Date;
  /**
   * Aborts the instant the term ends (loss, step-down, stop). Leader-gated work runs under it.
   * Its reason is a `LeaderElectionError` saying why the term ended.
   */
  readonly signal: AbortSignal;
  /**
   * Monotonic milliseconds (the elector's clock) until which no other replica can have acquired
   * the lock: the start of the last successful renew plus renewDeadline; `Infinity` for
   * leader-for-life. Check it right before a side effect that must not be done by two leaders.
   */
  validUntil(): number;
  /** True while the term has not ended and `validUntil()` lies in the future. */
  isValid(): boolean;
  /**
   * Registers leader-gated work to wait for before the lock is released on a voluntary stop: the
   * elector keeps holding (renewing) the lock until every tracked promise has settled or the
   * drain timeout has passed, so no other replica can lead while this one's work still runs.
   * Returns `work` unchanged.
   */
  track<T>(work: Promise<T>): Promise<T>;
}

/** Whether this replica leads, and the term when it does. */
export type Leadership = { readonly leading: false } | { readonly leading: true; readonly term: Term };

/**
 * A leader elector: lease-based or leader-for-life, behind one interface so that the Manager and
 * the CLI need not know which kind runs.
 */
export interface Elector {
  /** This replica's identity as written into the lock. */
  readonly identity: string;
  /** A description of the lock for messages, e.g. `lease kube-system/my-operator`. */
  readonly lockDescription: string;
  /**
   * This replica's leadership: emits the current value on subscription, then every change.
   * Completes when `run` has resolved.
   */
  readonly leadership$: Observable<Leadership>;
  /**
   * The identity of the leader as last observed in the lock (`undefined` when none holds it):
   * emits the current value on subscription, then every change (client-go's OnNewLeader).
   * Completes when `run` has resolved.
   */
  readonly leader$: Observable<string | undefined>;
  /**
   * Campaigns, leads and follows until `signal` aborts, then stops: ends any term, waits for
   * tracked work to drain, releases the lock when configured to, and resolves once nothing of the
   * elector runs any more. Rejects only for an unrecoverable configuration error; API failures are
   * retried. Call once.
   */
  run(signal: AbortSignal): Promise<void>;
  /**
   * Resolves with the next term this replica acquires (the current one if it leads already).
   * Rejects when `signal` aborts or the elector stops first.
   */
  whenLeading(signal?: AbortSignal): Promise<Term>;
  /** The current term, or `undefined` when not leading. */
  currentTerm(): Term | undefined;
}

import type { Observable } from 'rxjs';
import type { LeaderElectionError } from '../leader-election-error.js';

/**
 * One uninterrupted period of leadership. A new Term begins with every acquisition; a Term never
 * resumes once it has ended.
 */
export interface Term {
  /** The identity that holds the lock during this term. */
  readonly identity: string;
  /**
   * Increases with every acquisition: a fencing token within the limits each elector documents.
   * Lease: the lock's `leaseTransitions`, above every epoch the elector has seen on the lock, across
   * deletions; a replica whose first sight of the lock is its absence (deleted by an outsider)
   * cannot know the previous epochs and starts from 0 (README, "Deleting the lock").
   * Leader-for-life: the lock's epoch annotation, above every epoch seen and at least the creator's
   * wall-clock milliseconds (README, leader-for-life); a process restarted in the same Pod keeps its
   * lock and its epoch.
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
   * leader-for-life. Check it (or {@link Term.remainingMs}) right before a side effect that must
   * not be done by two leaders. Once the term has ended it is the moment it ended, or earlier.
   */
  validUntil(): number;
  /**
   * Milliseconds left before `validUntil()`, on the elector's clock (0 once the term has ended):
   * compare this, never `validUntil()` with `Date.now()`.
   */
  remainingMs(): number;
  /**
   * Monotonic milliseconds until which no other replica that follows the protocol can lead: for a
   * lease, the start of the last successful renew plus leaseDuration / 1.2 (a follower counts
   * leaseDuration from when it saw that renew, on its own clock, which may run up to 20% fast; and
   * never less than `validUntil()`); `Infinity` for a leader-for-life term that has not ended. When
   * the term ended by a release, or because another holder was seen (or the lock was deleted from
   * under a leader-for-life term), the moment it ended: someone else may lead at once. Work that
   * outlives the term must be stopped before this.
   */
  exclusiveUntil(): number;
  /** True while the term has not ended and `validUntil()` lies in the future. */
  isValid(): boolean;
  /**
   * Registers leader-gated work to wait for before the lock is released on a voluntary stop: the
   * elector keeps holding (renewing) the lock until every tracked promise has settled. When work
   * has not settled by the drain timeout, the lock is **not** released (the lease expires instead)
   * and the error names the work by `name`. Returns `work` unchanged.
   */
  track<T>(work: Promise<T>, name?: string): Promise<T>;
  /**
   * Runs `fn(term)` as tracked work (see {@link Term.track}): `fn` uses `term.signal`, which aborts
   * the instant the term ends. Rejects at once, without calling `fn`, when the term has already
   * ended; resolves or rejects as `fn` does. `name` appears in drain-timeout errors and logs.
   */
  runWhileLeading<T>(name: string, fn: (term: Term) => Promise<T>): Promise<T>;
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
  /** The identity last observed holding the lock (`undefined` for none). */
  currentLeader(): string | undefined;
  /**
   * Every failure the elector is retrying (API errors, timeouts, a drain that timed out, a
   * duplicate identity), as a typed error. Hot: only what happens after subscribing. Completes when
   * `run` has resolved.
   */
  readonly errors$: Observable<LeaderElectionError>;
  /**
   * The watchdog (client-go's `HealthzAdaptor`): false when this replica believes it leads but has
   * not been able to confirm it for longer than it may. Always true when not leading.
   */
  healthy(): boolean;
  /** Like {@link Elector.healthy}, for health endpoints: throws `LeaderElectionError` kind `unhealthy` saying why. */
  checkHealth(): void;
}

import type { Clock } from '../clock.js';
import type { Term } from '../election/elector.js';
import type { LeaderElectionError } from '../leader-election-error.js';
import { runTracked, WorkTracker, type DrainResult } from './work-tracker.js';

/**
 * Where a lease term is: `active` (leading), `draining` (stopped leading voluntarily, still holding
 * and renewing the lock while tracked work settles), `ended` (no longer holds the lock).
 */
export type LeaseTermState = 'active' | 'draining' | 'ended';

/**
 * How much faster than the holder's a follower's clock may run for `exclusiveUntil()` to hold: a
 * follower whose clock runs `r` times as fast acts `leaseDuration / r` (true time) after it saw a
 * renew. Validity itself holds up to the ratio leaseDuration/renewDeadline; of that slack,
 * `exclusiveUntil` promises what is left beyond 20% drift (real clocks drift by parts per million).
 */
export const exclusiveDriftAllowance = 1.2;

/** The {@link Term} of a lease elector; only the elector changes it (not exported from the package). */
export class LeaseTerm implements Term {
  readonly signal: AbortSignal;
  readonly acquiredAt: number;
  private readonly controller = new AbortController();
  private readonly work = new WorkTracker();
  private stateValue: LeaseTermState = 'active';
  private validUntilValue: number;
  private exclusiveUntilValue: number;
  private lastRenewStart: number;

  constructor(
    readonly identity: string,
    readonly epoch: number,
    /** Start of the acquiring write, on `clock`. */
    renewStart: number,
    readonly acquireTime: Date,
    private readonly renewDeadline: number,
    private readonly leaseDuration: number,
    private readonly clock: Clock,
  ) {
    this.signal = this.controller.signal;
    this.acquiredAt = renewStart;
    this.lastRenewStart = renewStart;
    this.validUntilValue = renewStart + renewDeadline;
    this.exclusiveUntilValue = renewStart + this.exclusiveSpan();
  }

  /** How long after a renew's start no follower can lead, with the drift allowance. */
  private exclusiveSpan(): number {
    return Math.max(this.renewDeadline, this.leaseDuration / exclusiveDriftAllowance);
  }

  get state(): LeaseTermState {
    return this.stateValue;
  }

  /** True once the lock is no longer held (a method, so that callers re-check after awaiting). */
  hasEnded(): boolean {
    return this.stateValue === 'ended';
  }

  /** Start of the last successful renew (or of the acquiring write), on the elector's clock. */
  get lastRenewedAt(): number {
    return this.lastRenewStart;
  }

  validUntil(): number {
    return this.validUntilValue;
  }

  remainingMs(): number {
    if (this.stateValue !== 'active') return 0;
    return Math.max(0, this.validUntilValue - this.clock.now());
  }

  exclusiveUntil(): number {
    return this.exclusiveUntilValue;
  }

  isValid(): boolean {
    return this.stateValue === 'active' && this.clock.now() < this.validUntilValue;
  }

  track<T>(work: Promise<T>, name?: string): Promise<T> {
    return this.work.track(work, name);
  }

  runWhileLeading<T>(name: string, fn: (term: Term) => Promise<T>): Promise<T> {
    return runTracked<T, Term>(this, this.work, name, fn);
  }

  /** Records a successful renew whose request started at `start`. Ignored once the term has ended. */
  renewed(start: number): void {
    if (this.stateValue === 'ended' || start < this.lastRenewStart) return;
    this.lastRenewStart = start;
    this.validUntilValue = start + this.renewDeadline;
    this.exclusiveUntilValue = start + this.exclusiveSpan();
  }

  /** Voluntary stop: aborts the signal; the lock is still held (and renewed) while work drains. */
  stopLeading(reason: LeaderElectionError): void {
    if (this.stateValue !== 'active') return;
    this.stateValue = 'draining';
    this.controller.abort(reason);
  }

  /**
   * The lock is no longer held (lost, deadline passed, or about to be released): aborts the signal
   * if still active and caps `validUntil` at now. `takenOver`: another holder may lead already, so
   * `exclusiveUntil` is capped at now too.
   */
  end(reason: LeaderElectionError, takenOver = false): void {
    if (this.stateValue === 'ended') return;
    this.stateValue = 'ended';
    const now = this.clock.now();
    this.validUntilValue = Math.min(this.validUntilValue, now);
    if (takenOver) this.exclusiveUntilValue = Math.min(this.exclusiveUntilValue, now);
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Waits for tracked work (those tracked meanwhile included), at most `timeoutMs`, or until `signal` aborts. */
  drain(timeoutMs: number, signal?: AbortSignal): Promise<DrainResult> {
    return this.work.drain(this.clock, timeoutMs, signal);
  }
}

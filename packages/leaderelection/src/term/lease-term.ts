import type { Clock } from '../clock.js';
import type { Term } from '../election/elector.js';
import type { LeaderElectionError } from '../leader-election-error.js';

/**
 * Where a lease term is: `active` (leading), `draining` (stopped leading voluntarily, still holding
 * and renewing the lock while tracked work settles), `ended` (no longer holds the lock).
 */
export type LeaseTermState = 'active' | 'draining' | 'ended';

/** The {@link Term} of a lease elector; only the elector changes it. */
export class LeaseTerm implements Term {
  readonly signal: AbortSignal;
  readonly acquiredAt: number;
  private readonly controller = new AbortController();
  private readonly tracked = new Set<Promise<unknown>>();
  private stateValue: LeaseTermState = 'active';
  private validUntilValue: number;
  private lastRenewStart: number;

  constructor(
    readonly identity: string,
    readonly epoch: number,
    /** Start of the acquiring write, on `clock`. */
    renewStart: number,
    readonly acquireTime: Date,
    private readonly renewDeadline: number,
    private readonly clock: Clock,
  ) {
    this.signal = this.controller.signal;
    this.acquiredAt = renewStart;
    this.lastRenewStart = renewStart;
    this.validUntilValue = renewStart + renewDeadline;
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

  isValid(): boolean {
    return this.stateValue === 'active' && this.clock.now() < this.validUntilValue;
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.tracked.add(work);
    const forget = (): void => {
      this.tracked.delete(work);
    };
    work.then(forget, forget);
    return work;
  }

  /** Records a successful renew whose request started at `start`. Ignored once the term has ended. */
  renewed(start: number): void {
    if (this.stateValue === 'ended' || start < this.lastRenewStart) return;
    this.lastRenewStart = start;
    this.validUntilValue = start + this.renewDeadline;
  }

  /** Voluntary stop: aborts the signal; the lock is still held (and renewed) while work drains. */
  stopLeading(reason: LeaderElectionError): void {
    if (this.stateValue !== 'active') return;
    this.stateValue = 'draining';
    this.controller.abort(reason);
  }

  /**
   * The lock is no longer held (lost, deadline passed, or about to be released): aborts the signal
   * if still active and caps `validUntil` at now.
   */
  end(reason: LeaderElectionError): void {
    if (this.stateValue === 'ended') return;
    this.stateValue = 'ended';
    this.validUntilValue = Math.min(this.validUntilValue, this.clock.now());
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Resolves when every tracked promise has settled (those tracked meanwhile included). */
  async drained(): Promise<void> {
    while (this.tracked.size > 0) await Promise.allSettled([...this.tracked]);
  }
}

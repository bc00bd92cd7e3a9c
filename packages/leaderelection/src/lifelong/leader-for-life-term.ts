import { wallTime, type Clock } from '../clock.js';
import type { Term } from '../election/elector.js';
import type { LeaderElectionError } from '../leader-election-error.js';
import { runTracked, WorkTracker, type DrainResult } from '../term/work-tracker.js';

/**
 * A leader-for-life term: it lasts until the lock is deleted or taken from under the leader, or
 * the elector stops. `validUntil()` and `exclusiveUntil()` are `Infinity` while it lasts (nothing
 * can acquire a lock that still exists and is owned by this Pod) and the moment the end was
 * observed once it has ended.
 *
 * Its `epoch` is the lock's epoch annotation (see `LockEpochs` for exactly when it is a fencing
 * token): greater than the previous lock's epoch whenever the replica that created the lock had
 * observed the previous lock; derived from that replica's wall clock otherwise. Two terms of the
 * same lock object (a process restarted in the same Pod) share its epoch: they are the same Pod's
 * leadership, one process after the other.
 */
export class LeaderForLifeTerm implements Term {
  readonly acquireTime: Date;
  readonly acquiredAt: number;
  private readonly controller = new AbortController();
  private readonly work = new WorkTracker();
  private endedAt: number | undefined;

  constructor(
    readonly identity: string,
    readonly epoch: number,
    private readonly clock: Clock,
  ) {
    this.acquiredAt = clock.now();
    this.acquireTime = wallTime(clock);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  validUntil(): number {
    return this.endedAt ?? Infinity;
  }

  remainingMs(): number {
    return this.endedAt === undefined ? Infinity : 0;
  }

  exclusiveUntil(): number {
    return this.endedAt ?? Infinity;
  }

  isValid(): boolean {
    return this.endedAt === undefined;
  }

  track<T>(work: Promise<T>, name?: string): Promise<T> {
    return this.work.track(work, name);
  }

  runWhileLeading<T>(name: string, fn: (term: Term) => Promise<T>): Promise<T> {
    return runTracked<T, Term>(this, this.work, name, fn);
  }

  /** Waits for tracked work (those tracked meanwhile included), at most `timeoutMs`. */
  drain(timeoutMs: number): Promise<DrainResult> {
    return this.work.drain(this.clock, timeoutMs);
  }

  /** Ends the term (idempotent): aborts `signal` with `reason`. */
  end(reason: LeaderElectionError): void {
    if (this.endedAt !== undefined) return;
    this.endedAt = this.clock.now();
    this.controller.abort(reason);
  }
}

import type { Clock } from '../clock.js';
import type { Term } from '../election/elector.js';
import type { LeaderElectionError } from '../leader-election-error.js';

/**
 * A leader-for-life term: it lasts until the lock is deleted or taken from under the leader, or
 * the elector stops. `validUntil()` is `Infinity` while it lasts (nothing can acquire a lock that
 * still exists and is owned by this Pod) and the moment the end was observed once it has ended.
 */
export class LeaderForLifeTerm implements Term {
  readonly acquireTime = new Date();
  readonly acquiredAt: number;
  private readonly controller = new AbortController();
  private readonly tracked = new Set<Promise<unknown>>();
  private endedAt: number | undefined;

  constructor(
    readonly identity: string,
    readonly epoch: number,
    private readonly clock: Clock,
  ) {
    this.acquiredAt = clock.now();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  validUntil(): number {
    return this.endedAt ?? Infinity;
  }

  isValid(): boolean {
    return this.endedAt === undefined;
  }

  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.tracked.add(settled);
    void settled.then(() => this.tracked.delete(settled));
    return work;
  }

  /** Resolves once every tracked promise has settled, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.tracked.size === 0) return;
    const timeout = new AbortController();
    await Promise.race([
      Promise.all([...this.tracked]),
      this.clock.sleep(timeoutMs, timeout.signal).catch(() => undefined),
    ]);
    timeout.abort();
  }

  /** Ends the term (idempotent): aborts `signal` with `reason`. */
  end(reason: LeaderElectionError): void {
    if (this.endedAt !== undefined) return;
    this.endedAt = this.clock.now();
    this.controller.abort(reason);
  }
}

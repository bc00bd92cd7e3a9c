import type { KubeConfig } from '@kubernetes/client-node';
import { LeaseWatch } from '@kubekit/envtest/bench';

/** A change of the lease as the observer saw it, stamped with when it arrived. */
export interface LeaseChange {
  readonly at: number;
  readonly holder: string;
}

/**
 * Watches one Lease from outside the electors and records every change with its arrival time, so
 * that handover and takeover are timed by one clock, independently of the processes measured.
 */
export class LeaseObserver {
  readonly changes: LeaseChange[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly watch: LeaseWatch;

  constructor(
    kubeConfig: KubeConfig,
    namespace: string,
    private readonly name: string,
  ) {
    this.watch = new LeaseWatch(kubeConfig, namespace, name, (type, lease) => {
      if (type === 'ADDED' || type === 'MODIFIED') {
        this.changes.push({ at: performance.now(), holder: lease.spec?.holderIdentity ?? '' });
        for (const wake of this.waiters) wake();
      }
    });
  }

  /** Watches until `stop`, re-watching whenever the server ends the stream. */
  start(): void {
    this.watch.start();
  }

  stop(): void {
    void this.watch.stop();
  }

  /** The last change recorded (the current holder as far as the observer knows). */
  last(): LeaseChange | undefined {
    return this.changes.at(-1);
  }

  /** Resolves with the first change from index `from` on whose holder satisfies `match`. */
  async next(match: (holder: string) => boolean, from: number, timeoutMs: number): Promise<LeaseChange> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.changes.slice(from).find((change) => match(change.holder));
      if (found !== undefined) return found;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`lease ${this.name}: no matching change within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const waiters = this.waiters;
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }
}

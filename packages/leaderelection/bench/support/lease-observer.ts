import { Watch, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

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
  private readonly controller = new AbortController();
  private request: AbortController | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  /** Watches until `stop`, re-watching whenever the server ends the stream. */
  start(): void {
    void this.loop();
  }

  stop(): void {
    this.controller.abort();
    this.request?.abort();
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

  private async loop(): Promise<void> {
    const watch = new Watch(this.kubeConfig);
    let resourceVersion: string | undefined;
    while (!this.controller.signal.aborted) {
      await new Promise<void>((resolve) => {
        const query: Record<string, string> = { fieldSelector: `metadata.name=${this.name}` };
        if (resourceVersion !== undefined) query['resourceVersion'] = resourceVersion;
        watch
          .watch(
            `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases`,
            query,
            (type: string, object: V1Lease) => {
              if (type === 'ERROR') {
                resourceVersion = undefined;
                return;
              }
              resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
              if (type === 'ADDED' || type === 'MODIFIED') {
                this.changes.push({ at: performance.now(), holder: object.spec?.holderIdentity ?? '' });
                for (const wake of this.waiters) wake();
              }
            },
            () => {
              resolve();
            },
          )
          .then(
            (request) => {
              this.request = request;
              if (this.controller.signal.aborted) request.abort();
            },
            () => {
              setTimeout(resolve, 100);
            },
          );
      });
    }
  }
}

import type { KubeConfig } from '@kubernetes/client-node';
import { LeaseWatch } from '@kubekit/envtest/bench';

/**
 * Watches one Lease from the benchmark's own process and notes (on this process's clock) every
 * moment it sees the holder cleared: a release. Handover is timed from there to the moment this
 * process reads the next leader's "gated runnable started" line, so both ends use one clock.
 */
export class ReleaseObserver {
  /** `performance.now()` of every release seen, in order. */
  readonly releases: number[] = [];
  private readonly watch: LeaseWatch;

  constructor(kubeConfig: KubeConfig, namespace: string, name: string) {
    this.watch = new LeaseWatch(kubeConfig, namespace, name, (type, lease) => {
      if (type === 'MODIFIED' && (lease.spec?.holderIdentity ?? '') === '') {
        this.releases.push(performance.now());
      }
    });
  }

  start(): void {
    this.watch.start();
  }

  async stop(): Promise<void> {
    await this.watch.stop();
  }
}

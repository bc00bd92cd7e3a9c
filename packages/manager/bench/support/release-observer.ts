import { Watch, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

/**
 * Watches one Lease from the benchmark's own process and notes (on this process's clock) every
 * moment it sees the holder cleared: a release. Handover is timed from there to the moment this
 * process reads the next leader's "gated runnable started" line, so both ends use one clock.
 */
export class ReleaseObserver {
  /** `performance.now()` of every release seen, in order. */
  readonly releases: number[] = [];
  private readonly stopped = new AbortController();
  private request: AbortController | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.request?.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const watch = new Watch(this.kubeConfig);
    let resourceVersion: string | undefined;
    while (!this.stopped.signal.aborted) {
      await new Promise<void>((resolve) => {
        const query: Record<string, string> = { fieldSelector: `metadata.name=${this.name}` };
        if (resourceVersion !== undefined) query['resourceVersion'] = resourceVersion;
        watch
          .watch(
            `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases`,
            query,
            (type: string, lease: V1Lease) => {
              if (type === 'ERROR') {
                resourceVersion = undefined;
                return;
              }
              resourceVersion = lease.metadata?.resourceVersion ?? resourceVersion;
              if (type === 'MODIFIED' && (lease.spec?.holderIdentity ?? '') === '') {
                this.releases.push(performance.now());
              }
            },
            () => {
              resolve();
            },
          )
          .then(
            (request) => {
              this.request = request;
              if (this.stopped.signal.aborted) request.abort();
            },
            () => {
              setTimeout(resolve, 100);
            },
          );
      });
    }
  }
}

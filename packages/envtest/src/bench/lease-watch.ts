import { Watch, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

/**
 * Watches one Lease (`coordination.k8s.io/v1`) from a benchmark's own process, so that elections
 * are timed from outside the processes measured, by one clock. Calls `onEvent` with every event
 * of the Lease but `ERROR` (`ADDED`, `MODIFIED`, `DELETED`) as it arrives; when the server ends the
 * stream it watches again from the last resourceVersion seen (from the current state after an
 * `ERROR` event such as 410 Expired, and 100 ms later when the request failed), until `stop()`.
 */
export class LeaseWatch {
  private readonly stopped = new AbortController();
  private request: AbortController | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
    private readonly onEvent: (type: string, lease: V1Lease) => void,
  ) {}

  /** Starts watching (once; later calls do nothing). Returns at once. */
  start(): void {
    this.running ??= this.loop();
  }

  /** Stops watching; resolves once the watch has ended. Idempotent. */
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
              this.onEvent(type, lease);
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

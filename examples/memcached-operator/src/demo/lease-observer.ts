import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isExpired, type ObjectClient } from '@kubekit/client';
import { preciseNow } from '../reconcile-log.js';

/** One change of the Lease as this observer saw it (its own clock: epoch ms). */
export interface LeaseObservation {
  readonly at: number;
  readonly holder: string;
  readonly transitions: number;
  readonly resourceVersion: string;
}

/**
 * Watches one Lease from outside the replicas (the demo's own user) and keeps every change it
 * sees: acquisitions, renews, releases. Handover and takeover latencies are measured on these
 * observations, all timed by the same observer.
 */
export class LeaseObserver {
  readonly observations: LeaseObservation[] = [];

  constructor(
    private readonly client: ObjectClient,
    private readonly namespace: string,
    private readonly name: string,
    private readonly onChange: (
      observation: LeaseObservation,
      previous: LeaseObservation | undefined,
    ) => void,
  ) {}

  get holder(): string {
    return this.observations.at(-1)?.holder ?? '';
  }

  async run(signal: AbortSignal): Promise<void> {
    const kind = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: this.namespace };
    const fieldSelector = `metadata.name=${this.name}`;
    let resourceVersion: string | undefined;
    while (!signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          const list = await this.client.list<Lease>(kind, { fieldSelector, signal });
          for (const lease of list.items) this.see(lease);
          resourceVersion = list.metadata.resourceVersion;
        }
        for await (const event of this.client.watch<Lease>(kind, {
          fieldSelector,
          signal,
          ...(resourceVersion === undefined ? {} : { resourceVersion }),
        })) {
          resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
          if (event.type === 'ADDED' || event.type === 'MODIFIED') this.see(event.object);
        }
      } catch (error) {
        if (isExpired(error)) resourceVersion = undefined;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private see(lease: Lease): void {
    const observation: LeaseObservation = {
      at: preciseNow(),
      holder: lease.spec?.holderIdentity ?? '',
      transitions: lease.spec?.leaseTransitions ?? 0,
      resourceVersion: lease.metadata?.resourceVersion ?? '',
    };
    const previous = this.observations.at(-1);
    if (previous?.resourceVersion === observation.resourceVersion) return;
    this.observations.push(observation);
    this.onChange(observation, previous);
  }

  /** The last observation of `holder` before `before` (its last renew as seen here). */
  lastRenewOf(holder: string, before: number): LeaseObservation | undefined {
    return this.observations.filter((o) => o.holder === holder && o.at <= before).at(-1);
  }
}

import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { ObjectClient } from '@kubekit/client';
import type { Cache, Reconciler, Request, Result } from '@kubekit/reconcile';

/** ConfigMaps with this label set to `true` are stamped. */
export const stampLabel = 'example.com/stamp';
/** The annotation the stamp goes into: the name of the Pod that led when it was stamped. */
export const stampedByAnnotation = 'example.com/stamped-by';

/**
 * Stamps every labelled ConfigMap once with the identity of the replica that leads (its Pod's
 * name): a side effect that shows, from the cluster's side, which replica did the work. Reads from
 * the cache, writes one merge patch; the write's signal aborts if the leader's lock is taken away.
 */
export class StampReconciler implements Reconciler {
  constructor(
    private readonly cache: Cache,
    private readonly client: ObjectClient,
    private readonly identity: string,
  ) {}

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result> {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace, name };
    const configMap = this.cache.get<ConfigMap>(ref);
    if (configMap === undefined || configMap.metadata?.annotations?.[stampedByAnnotation] !== undefined)
      return {};
    await this.client.patch(
      ref,
      { metadata: { annotations: { [stampedByAnnotation]: this.identity } } },
      { signal },
    );
    return {};
  }
}

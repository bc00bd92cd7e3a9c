import type { Transport } from '@kubekit/client';
import type { KubeConfig } from '@kubernetes/client-node';
import { sharedClient } from '../kube/shared-client.js';
import type { EventRecorder, ElectionEvent } from './event-recorder.js';

/** The object an Event is about. */
export interface InvolvedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** A `Time` as the API server writes it: RFC 3339 in UTC, whole seconds. */
function time(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Creates core/v1 Events about a lock object (RBAC: events: create in the lock's namespace), as
 * plain JSON through the `@kubekit/client` shared by everything built from the same KubeConfig.
 */
export class KubernetesEventRecorder implements EventRecorder {
  private readonly transport: Transport;
  private readonly path: string;

  constructor(
    kubeConfig: KubeConfig,
    private readonly involvedObject: InvolvedObject,
    /** The reporting instance: the elector's identity. */
    private readonly identity: string,
  ) {
    this.transport = sharedClient(kubeConfig).transport;
    this.path = `/api/v1/namespaces/${encodeURIComponent(involvedObject.namespace)}/events`;
  }

  /** Creates the Event; rejects (kind of `@kubekit/client`'s errors) when that fails, at once when `signal` aborts. */
  async record(event: ElectionEvent, signal: AbortSignal): Promise<void> {
    const now = time(new Date());
    const { apiVersion, kind, namespace, name } = this.involvedObject;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${name}.`, namespace },
      involvedObject: { apiVersion, kind, namespace, name },
      reason: event.reason,
      message: event.message,
      type: event.type,
      source: { component: 'kubekit-leaderelection', host: this.identity },
      reportingComponent: 'kubekit-leaderelection',
      reportingInstance: this.identity.slice(0, 128),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    await this.transport.json({ method: 'POST', path: this.path, body: JSON.stringify(body), signal });
  }
}

import {
  CoreV1Api,
  CoreV1Event,
  V1EventSource,
  V1ObjectMeta,
  V1ObjectReference,
} from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { requestOptions } from '../locks/kube-request.js';
import type { EventRecorder, ElectionEvent } from './event-recorder.js';

/** The object an Event is about. */
export interface InvolvedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** Creates core/v1 Events about a lock object (RBAC: events: create in the lock's namespace). */
export class KubernetesEventRecorder implements EventRecorder {
  private readonly api: CoreV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly involvedObject: InvolvedObject,
    /** The reporting instance: the elector's identity. */
    private readonly identity: string,
  ) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
  }

  async record(event: ElectionEvent, signal: AbortSignal): Promise<void> {
    const now = new Date();
    const { namespace, name } = this.involvedObject;
    const body = Object.assign(new CoreV1Event(), {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: Object.assign(new V1ObjectMeta(), { generateName: `${name}.`, namespace }),
      involvedObject: Object.assign(new V1ObjectReference(), this.involvedObject),
      reason: event.reason,
      message: event.message,
      type: event.type,
      source: Object.assign(new V1EventSource(), {
        component: 'kubekit-leaderelection',
        host: this.identity,
      }),
      reportingComponent: 'kubekit-leaderelection',
      reportingInstance: this.identity.slice(0, 128),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    await this.api.createNamespacedEvent({ namespace, body }, requestOptions(signal));
  }
}

import { createClient, type ClientOptions, type KubeClient } from '@kubekit/client';
import type { KubeConfig } from '@kubernetes/client-node';
import { createInformer, type Informer, type InformerEvent, type InformerOptions } from '@kubekit/reconcile';
import type { Subscription } from 'rxjs';
import { ConfigMapWriter } from './config-map-writer.js';

/** A running informer over ConfigMaps of one namespace, recording every event. */
export class InformerFixture extends ConfigMapWriter {
  readonly client: KubeClient;
  readonly informer: Informer;
  readonly events: InformerEvent[] = [];
  readonly #controller = new AbortController();
  readonly #running: Promise<void>;
  readonly #subscription: Subscription;

  constructor(
    kubeConfig: KubeConfig,
    adminConfig: KubeConfig,
    namespace: string,
    options: Partial<InformerOptions> = {},
    clientOptions: Partial<Pick<ClientOptions, 'maxRetries' | 'maxWatchLineLength' | 'clock'>> = {},
  ) {
    super(createClient({ kubeConfig: adminConfig, metrics: null, rateLimit: false }), namespace);
    this.client = createClient({ kubeConfig, metrics: null, rateLimit: false, ...clientOptions });
    this.informer = createInformer({
      client: this.client,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace,
      backoff: { initialMs: 20, maxMs: 200 },
      ...options,
    });
    this.#subscription = this.informer.events().subscribe((event) => this.events.push(event));
    this.#running = this.informer.start(this.#controller.signal);
  }

  /** True when the cache holds exactly the server's objects at their current resourceVersions. */
  async matchesServer(): Promise<boolean> {
    const list = await this.admin.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: this.namespace });
    const server = new Map(list.items.map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion]));
    const cached = this.informer.list();
    if (cached.length !== server.size) return false;
    return cached.every((o) => server.get(o.metadata?.name ?? '') === o.metadata?.resourceVersion);
  }

  /** Names of objects the events say were deleted. */
  deleted(): string[] {
    return this.events.filter((e) => e.type === 'delete').map((e) => e.object.metadata?.name ?? '');
  }

  async stop(): Promise<void> {
    this.#controller.abort();
    await this.#running;
    this.#subscription.unsubscribe();
    await this.client.close(false);
    await this.admin.close(false);
  }
}

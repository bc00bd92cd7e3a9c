import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { createClient, type KubeObject } from '@kubekit/client';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { Registry } from 'prom-client';
import { MANAGER, REGISTRY } from '@kubekit/manager';
import { eventually } from '../support/eventually.js';
import { MirrorReconciler } from './builder.example.test.js';
// --- README: dependency-injection example ---
import 'reflect-metadata';
import type { KubeConfig } from '@kubernetes/client-node';
import { Container, inject, injectable } from 'inversify';
import { managerModule } from '@kubekit/manager';
import {
  CACHED_CLIENT,
  controller,
  EVENT_RECORDER,
  labelSelector,
  RECONCILER,
  reconcileModule,
  type CachedClient,
  type EventRecorder,
} from '@kubekit/reconcile';

/** The same reconciler as in the builder example, declared as a controller and built by the container. */
@controller({
  for: { apiVersion: 'v1', kind: 'ConfigMap' },
  forOptions: { predicates: [labelSelector('mirror=true')] },
  owns: [{ apiVersion: 'v1', kind: 'Secret' }],
  options: { maxConcurrentReconciles: 4 },
})
@injectable()
class InjectedMirrorReconciler extends MirrorReconciler {
  constructor(@inject(CACHED_CLIENT) client: CachedClient, @inject(EVENT_RECORDER) events: EventRecorder) {
    super(client, events);
  }
}

export function createContainer(kubeConfig: KubeConfig, namespace: string, registry: Registry): Container {
  const container = new Container();
  container.load(
    managerModule({ kubeConfig, registry, leaderElection: { name: 'mirror-operator', namespace } }),
    reconcileModule({ eventRecorderName: 'mirror-operator' }),
  );
  container.bind(RECONCILER).to(InjectedMirrorReconciler).inSingletonScope();
  return container;
}

// In main():
//   const manager = createContainer(kubeConfig, 'my-namespace', register).get(MANAGER);
//   await manager.start(setupSignalHandler());
// --- end of the README example ---

describe('README example: a controller built by inversify', function () {
  this.timeout(20_000);
  const env = useEnvtest();

  it('runs the builder example’s reconciler, found through @controller when the manager is resolved', async () => {
    const container = createContainer(env.kubeConfig, env.namespace, new Registry());
    const manager = container.get(MANAGER);
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    const admin = createClient({ kubeConfig: env.kubeConfig, metrics: null });
    try {
      await admin.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'web', namespace: env.namespace, labels: { mirror: 'true' } },
        data: { port: '80' },
      });
      await eventually(async () => {
        const secret = await admin
          .get<Secret>({ apiVersion: 'v1', kind: 'Secret', namespace: env.namespace, name: 'web' })
          .catch(() => undefined);
        return Buffer.from(secret?.data?.['port'] ?? '', 'base64').toString() === '80';
      }, 'the Secret mirrors the ConfigMap');
      await eventually(async () => {
        const events = await admin.list<KubeObject & { reason?: string; reportingController?: string }>({
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          namespace: env.namespace,
        });
        return events.items.some(
          (e) => e.reason === 'Created' && e.reportingController === 'mirror-operator',
        );
      }, 'the injected recorder records an Event');
      const registry = container.get(REGISTRY);
      const total = await registry.getSingleMetric('controller_runtime_reconcile_total')?.get();
      expect(total?.values.some((v) => v.labels['controller'] === 'configmap' && v.value > 0)).to.equal(true);
    } finally {
      stop.abort();
      await running;
      await admin.close(false);
    }
  });

  it('refuses a reconciler without @controller when the manager is resolved', () => {
    const container = new Container();
    container.load(
      managerModule({ kubeConfig: env.kubeConfig, registry: new Registry() }),
      reconcileModule(),
    );
    container.bind(RECONCILER).toConstantValue({ reconcile: () => Promise.resolve({}) });
    expect(() => container.get(MANAGER)).to.throw(/no @controller/);
  });
});

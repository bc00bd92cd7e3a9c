import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { Registry as TestRegistry } from 'prom-client';
// --- README: dependency-injection example ---
import 'reflect-metadata';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Container, inject, injectable } from 'inversify';
import type { Logger } from '@kubekit/leaderelection';
import type { Registry } from 'prom-client';
import {
  LOGGER,
  MANAGER,
  managerModule,
  RUNNABLE,
  type Runnable,
  type RunnableContext,
} from '@kubekit/manager';

/** Leader-gated (the default): counts ConfigMaps once per term. */
@injectable()
class ConfigMapCounter implements Runnable {
  counted: number | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig, // by its class
    @inject(LOGGER) private readonly logger: Logger, // by its token
  ) {}

  async start(signal: AbortSignal, context?: RunnableContext): Promise<void> {
    const namespace =
      this.kubeConfig.getContextObject(this.kubeConfig.getCurrentContext())?.namespace ?? 'default';
    const api = this.kubeConfig.makeApiClient(CoreV1Api);
    const list = await api.listNamespacedConfigMap({ namespace });
    if (context?.term?.isValid() === true) this.counted = list.items.length;
    this.logger.info({ epoch: context?.term?.epoch, configMaps: this.counted }, 'counted');
    await new Promise((resolve) => {
      signal.addEventListener('abort', resolve, { once: true });
    });
  }
}

export function createContainer(kubeConfig: KubeConfig, namespace: string, registry: Registry): Container {
  const container = new Container();
  container.load(
    managerModule({
      kubeConfig,
      registry,
      leaderElection: { name: 'di-operator', namespace },
      onLeadershipLost: 'exit',
    }),
  );
  container.bind(RUNNABLE).to(ConfigMapCounter).inSingletonScope();
  return container;
}

// In main():
//   const manager = createContainer(kubeConfig, 'my-namespace', register).get(MANAGER);
//   await manager.start(setupSignalHandler());
// --- end of the README example ---

describe('README example: a manager built by inversify', function () {
  this.timeout(30_000);
  const env = useEnvtest();

  it('runs the injected runnable in its term', async () => {
    const kubeConfig = env.kubeConfig;
    const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
    const scoped = new KubeConfig();
    scoped.loadFromOptions({
      clusters: kubeConfig.clusters,
      users: kubeConfig.users,
      contexts: [{ ...context!, namespace: env.namespace }],
      currentContext: context!.name,
    });
    const container = createContainer(scoped, env.namespace, new TestRegistry());
    const manager = container.get(MANAGER);
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    await manager.elected(AbortSignal.timeout(10_000));
    const counter = container.getAll(RUNNABLE)[0] as ConfigMapCounter;
    for (let i = 0; i < 100 && counter.counted === undefined; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(counter.counted).to.be.a('number');
    stop.abort();
    await running;
  });
});

import 'reflect-metadata';
import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { Container, inject, injectable } from 'inversify';
import { Registry } from 'prom-client';
import type { Logger } from '@kubekit/leaderelection';
import {
  KUBE_CONFIG,
  LOGGER,
  Manager,
  MANAGER,
  managerModule,
  REGISTRY,
  RUNNABLE,
  type Runnable,
  type RunnableContext,
} from '@kubekit/manager';
import { memoryLogger } from '../support/recorder.js';

const started: { server: string | undefined; logger: Logger; epoch: number | undefined }[] = [];

@injectable()
class InjectedRunnable implements Runnable {
  constructor(
    private readonly kubeConfig: KubeConfig,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(signal: AbortSignal, context?: RunnableContext): Promise<void> {
    started.push({
      server: this.kubeConfig.getCurrentCluster()?.server,
      logger: this.logger,
      epoch: context?.term?.epoch,
    });
    await new Promise((resolve) => {
      signal.addEventListener('abort', resolve, { once: true });
    });
  }
}

@injectable()
class NeedsManager {
  constructor(readonly manager: Manager) {}
}

describe('managerModule', () => {
  it('builds a manager that runs the runnables bound under RUNNABLE, with constructor injection', async () => {
    started.length = 0;
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://example.invalid:6443' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const logger = memoryLogger();
    const registry = new Registry();
    const container = new Container();
    container.load(managerModule({ kubeConfig, logger, registry }));
    container.bind(RUNNABLE).to(InjectedRunnable).inSingletonScope();
    container.bind(NeedsManager).toSelf();
    const manager = container.get(MANAGER);
    expect(container.get(MANAGER)).to.equal(manager);
    expect(container.get(Manager)).to.equal(manager);
    expect(container.get(NeedsManager).manager).to.equal(manager);
    expect(container.get(KUBE_CONFIG)).to.equal(kubeConfig);
    expect(container.get(KubeConfig)).to.equal(kubeConfig);
    expect(container.get(REGISTRY)).to.equal(registry);
    expect(manager.getKubeConfig()).to.equal(kubeConfig);
    expect(manager.getLogger()).to.equal(logger);
    expect(manager.getRegistry()).to.equal(registry);
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    await manager.elected();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).to.deep.equal([{ server: 'https://example.invalid:6443', logger, epoch: 0 }]);
    stop.abort();
    await running;
  });

  it('defaults: a quiet logger, the global registry, loadFromDefault() for KubeConfig; no RUNNABLE bound is fine', async () => {
    const container = new Container();
    container.load(managerModule());
    const manager = container.get(MANAGER);
    expect(manager.getKubeConfig()).to.equal(container.get(KUBE_CONFIG));
    expect(manager.getKubeConfig()).to.be.instanceOf(KubeConfig);
    const stop = new AbortController();
    stop.abort();
    await manager.start(stop.signal);
  });
});

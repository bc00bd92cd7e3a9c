import { KubeConfig } from '@kubernetes/client-node';
import { quietLogger, type Logger } from '@kubekit/leaderelection';
import { ContainerModule, type ServiceIdentifier } from 'inversify';
import { register as globalRegistry, type Registry } from 'prom-client';
import { Manager } from '../manager.js';
import type { ManagerOptions } from '../manager-options.js';
import type { Runnable } from '../runnable.js';

/** The {@link Manager} (a singleton); also bound as the `Manager` class, for constructor injection. */
export const MANAGER: ServiceIdentifier<Manager> = Symbol.for('@kubekit/manager.Manager');
/** The manager's `KubeConfig`; also bound as the `KubeConfig` class. */
export const KUBE_CONFIG: ServiceIdentifier<KubeConfig> = Symbol.for('@kubekit/manager.KubeConfig');
/** The manager's `Logger`. */
export const LOGGER: ServiceIdentifier<Logger> = Symbol.for('@kubekit/manager.Logger');
/** The prom-client `Registry` shared by manager, elector and controllers. */
export const REGISTRY: ServiceIdentifier<Registry> = Symbol.for('@kubekit/manager.Registry');
/**
 * Multi-injection token: every Runnable bound to it (`bind(RUNNABLE).to(MyController)`) is added to
 * the Manager when the Manager is resolved. Such runnables must not depend on the Manager itself
 * (a cycle); they can depend on `KUBE_CONFIG`, `LOGGER` and `REGISTRY`.
 */
export const RUNNABLE: ServiceIdentifier<Runnable> = Symbol.for('@kubekit/manager.Runnable');

/** Options of {@link managerModule}: the Manager's, minus what the container provides. */
export type ManagerModuleOptions = ManagerOptions;

/**
 * A `ContainerModule` binding the Manager, KubeConfig, logger and registry (singletons). The
 * `kubeConfig`, `logger` and `registry` options give their values (defaults as the Manager's);
 * the Manager is built from the bound ones, and gets every runnable bound under {@link RUNNABLE}.
 *
 * @example
 * const container = new Container();
 * container.load(managerModule({ leaderElection: { name: 'my-operator' } }));
 * container.bind(RUNNABLE).to(MyController).inSingletonScope();
 * await container.get(MANAGER).start(setupSignalHandler());
 */
export function managerModule(options: ManagerModuleOptions = {}): ContainerModule {
  const { kubeConfig, logger, registry, ...managerOptions } = options;
  return new ContainerModule(({ bind }) => {
    bind(KUBE_CONFIG)
      .toDynamicValue(() => {
        if (kubeConfig !== undefined) return kubeConfig;
        const loaded = new KubeConfig();
        loaded.loadFromDefault();
        return loaded;
      })
      .inSingletonScope();
    bind(KubeConfig).toService(KUBE_CONFIG);
    bind(LOGGER).toConstantValue(logger ?? quietLogger);
    bind(REGISTRY).toConstantValue(registry ?? globalRegistry);
    bind(MANAGER)
      .toDynamicValue((context) => {
        const manager = new Manager({
          ...managerOptions,
          kubeConfig: context.get(KUBE_CONFIG),
          logger: context.get(LOGGER),
          registry: context.get(REGISTRY),
        });
        for (const runnable of context.getAll(RUNNABLE, { optional: true })) manager.add(runnable);
        return manager;
      })
      .inSingletonScope();
    bind(Manager).toService(MANAGER);
  });
}

import 'reflect-metadata';
import type { KubeConfig } from '@kubernetes/client-node';
import { createClient, type KubeClient } from '@kubekit/client';
import type { Logger } from '@kubekit/leaderelection';
import {
  KUBE_CONFIG,
  LOGGER,
  MANAGER,
  managerModule,
  REGISTRY,
  RUNNABLE,
  type Manager,
  type ManagerOptions,
} from '@kubekit/manager';
import { Container, ContainerModule, inject, injectable, type ServiceIdentifier } from 'inversify';
import type { Registry } from 'prom-client';
import { MemcachedReconciler, type MemcachedReconcilerOptions } from './memcached-reconciler.js';
import { ReconcileLoop, type ReconcileObserver } from './reconcile-loop.js';

/** The operator's `@kubekit/client`, bound by {@link operatorModule} (one per container). */
export const KUBE_CLIENT: ServiceIdentifier<KubeClient> = Symbol.for('memcached-operator.KubeClient');
/** Options of the reconciler. */
export const RECONCILER_OPTIONS: ServiceIdentifier<MemcachedReconcilerOptions> = Symbol.for(
  'memcached-operator.ReconcilerOptions',
);
/** Where reconciles are reported (optional). */
export const RECONCILE_OBSERVER: ServiceIdentifier<ReconcileObserver> = Symbol.for(
  'memcached-operator.ReconcileObserver',
);

/** The reconciler, injected with the client and its options. */
@injectable()
export class InjectedMemcachedReconciler extends MemcachedReconciler {
  constructor(
    @inject(KUBE_CLIENT) client: KubeClient,
    @inject(RECONCILER_OPTIONS) options: MemcachedReconcilerOptions,
  ) {
    super(client, options);
  }
}

/** The stand-in controller (see `ReconcileLoop`), bound under the Manager's `RUNNABLE`. */
@injectable()
export class MemcachedController extends ReconcileLoop {
  constructor(
    @inject(KUBE_CLIENT) client: KubeClient,
    reconciler: InjectedMemcachedReconciler,
    @inject(LOGGER) logger: Logger,
    @inject(RECONCILE_OBSERVER) observer: ReconcileObserver,
  ) {
    super(client, reconciler, logger, observer);
  }
}

/** Options of {@link createOperator}. */
export interface OperatorOptions {
  readonly kubeConfig: KubeConfig;
  /** The Manager's options (election, servers, …) besides `kubeConfig`, `logger` and `registry`. */
  readonly manager: Omit<ManagerOptions, 'kubeConfig' | 'logger' | 'registry'>;
  readonly logger?: Logger;
  readonly registry?: Registry;
  readonly reconciler?: MemcachedReconcilerOptions;
  readonly observer?: ReconcileObserver;
}

/** A built operator: its container, its Manager, and `close()` for the client once the Manager stopped. */
export interface Operator {
  readonly container: Container;
  readonly manager: Manager;
  close(): Promise<void>;
}

/** The operator's own bindings: the client, the reconciler and the controller. */
export function operatorModule(options: Pick<OperatorOptions, 'reconciler' | 'observer'>): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(KUBE_CLIENT)
      .toDynamicValue((context) =>
        createClient({
          kubeConfig: context.get(KUBE_CONFIG),
          metrics: context.get(REGISTRY),
          userAgent: 'memcached-operator',
        }),
      )
      .inSingletonScope();
    bind(RECONCILER_OPTIONS).toConstantValue(options.reconciler ?? {});
    bind(RECONCILE_OBSERVER).toConstantValue(
      options.observer ?? { begin: () => undefined, end: () => undefined },
    );
    bind(InjectedMemcachedReconciler).toSelf().inSingletonScope();
    bind(RUNNABLE).to(MemcachedController).inSingletonScope();
  });
}

/** Builds the container (the Manager's module and the operator's) and resolves the Manager. */
export function createOperator(options: OperatorOptions): Operator {
  const container = new Container();
  container.load(
    managerModule({
      ...options.manager,
      kubeConfig: options.kubeConfig,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.registry === undefined ? {} : { registry: options.registry }),
    }),
    operatorModule(options),
  );
  const manager = container.get(MANAGER);
  return {
    container,
    manager,
    close: () => container.get(KUBE_CLIENT).close(),
  };
}

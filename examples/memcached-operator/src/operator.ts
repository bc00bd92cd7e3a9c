import 'reflect-metadata';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@kubekit/leaderelection';
import { MANAGER, managerModule, type Manager, type ManagerOptions } from '@kubekit/manager';
import {
  CACHED_CLIENT,
  CLIENT,
  controller,
  EVENT_RECORDER,
  RECONCILER,
  reconcileModule,
  type CachedClient,
  type EventRecorder,
} from '@kubekit/reconcile';
import { Container, ContainerModule, inject, injectable, type ServiceIdentifier } from 'inversify';
import type { Registry } from 'prom-client';
import { memcachedApiVersion, memcachedKind } from './memcached.js';
import { MemcachedReconciler, type MemcachedReconcilerOptions } from './memcached-reconciler.js';
import { silentObserver, type ReconcileObserver } from './reconcile-observer.js';

/** Options of the reconciler. */
export const RECONCILER_OPTIONS: ServiceIdentifier<MemcachedReconcilerOptions> = Symbol.for(
  'memcached-operator.ReconcilerOptions',
);
/** Where reconciles are reported (default: nowhere). */
export const RECONCILE_OBSERVER: ServiceIdentifier<ReconcileObserver> = Symbol.for(
  'memcached-operator.ReconcileObserver',
);
/** `reportingController` of the operator's Events (`EVENT_RECORDER`, through `reconcileModule`). */
export const eventRecorderName = 'cache.example.com/memcached-operator';

/**
 * The controller: `@kubekit/reconcile`'s DI decorator makes a controller of it when the Manager is
 * resolved (`for` Memcacheds, `owns` Deployments: a change to a Deployment it controls reconciles
 * its Memcached). It reads and writes through the manager's cached client (`CACHED_CLIENT`, which
 * reads its own writes) and records Events with the manager's recorder (`EVENT_RECORDER`); each
 * reconcile gets the term it runs in from the controller, and fences its writes with it.
 */
@controller({
  for: { apiVersion: memcachedApiVersion, kind: memcachedKind },
  owns: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
  name: 'memcached',
})
@injectable()
export class MemcachedController extends MemcachedReconciler {
  constructor(
    @inject(CACHED_CLIENT) client: CachedClient,
    @inject(EVENT_RECORDER) events: EventRecorder,
    @inject(RECONCILER_OPTIONS) options: MemcachedReconcilerOptions,
    @inject(RECONCILE_OBSERVER) observer: ReconcileObserver,
  ) {
    super(client, events, options, observer);
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

/** A built operator: its container, its Manager, and `close()` for the client (after the Manager stopped). */
export interface Operator {
  readonly container: Container;
  readonly manager: Manager;
  close(): Promise<void>;
}

/**
 * The operator's own bindings: the reconciler under `RECONCILER`, with its options and observer.
 * Load it beside `managerModule(…)` and `reconcileModule({ eventRecorderName })`.
 */
export function operatorModule(options: Pick<OperatorOptions, 'reconciler' | 'observer'>): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(RECONCILER_OPTIONS).toConstantValue(options.reconciler ?? {});
    bind(RECONCILE_OBSERVER).toConstantValue(options.observer ?? silentObserver);
    bind(RECONCILER).to(MemcachedController).inSingletonScope();
  });
}

/** Builds the container (the Manager's, reconcile's and the operator's modules) and resolves the Manager. */
export function createOperator(options: OperatorOptions): Operator {
  const container = new Container();
  container.load(
    managerModule({
      ...options.manager,
      kubeConfig: options.kubeConfig,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.registry === undefined ? {} : { registry: options.registry }),
    }),
    reconcileModule({ eventRecorderName, ...replicaInstance(options.manager.leaderElection) }),
    operatorModule(options),
  );
  const manager = container.get(MANAGER);
  return {
    container,
    manager,
    // The cache closes the client when it stops; this covers a Manager that never started.
    close: () => container.get(CLIENT).close(),
  };
}

/** Events name the replica that wrote them: its elector's identity (the Pod's name in a cluster). */
function replicaInstance(leaderElection: unknown): { eventRecorderInstance?: string } {
  const identity = (leaderElection as { identity?: unknown } | undefined)?.identity;
  return typeof identity === 'string' && identity !== '' ? { eventRecorderInstance: identity } : {};
}

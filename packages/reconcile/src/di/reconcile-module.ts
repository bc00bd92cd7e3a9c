import { createClient, type KubeClient } from '@kubekit/client';
import { KUBE_CONFIG, LOGGER, MANAGER, REGISTRY } from '@kubekit/manager';
import { ContainerModule, type ServiceIdentifier } from 'inversify';
import { controllerManagedBy } from '../builder/controller-builder.js';
import { registerCache } from '../builder/manager-cache.js';
import type { Cache } from '../cache/cache.js';
import type { CachedClient } from '../client/cached-client.js';
import { createCachedClient } from '../client/default-cached-client.js';
import { createCache } from '../cache/informer-cache.js';
import { ReconcileError } from '../reconcile-error.js';
import type { Reconciler } from '../reconciler.js';
import type { EventRecorder } from '../events/event-recorder.js';
import { registerRecorder } from '../events/manager-recorder.js';
import { createEventRecorder } from '../events/queued-event-recorder.js';
import { controllerMetadata } from './controller-decorator.js';

/**
 * Multi-injection token: every Reconciler bound to it, whose class has `@controller(…)`, becomes a
 * controller of the Manager when the Manager is resolved. Reconcilers may depend on
 * `CACHED_CLIENT`, `EVENT_RECORDER`, `CACHE`, `CLIENT`, `KUBE_CONFIG`, `LOGGER` and `REGISTRY`, not on the Manager
 * (a cycle).
 */
export const RECONCILER: ServiceIdentifier<Reconciler> = Symbol.for('@kubekit/reconcile.Reconciler');
/** The manager's shared {@link Cache} (the one `cacheFor(manager)` returns); read objects from it. */
export const CACHE: ServiceIdentifier<Cache> = Symbol.for('@kubekit/reconcile.Cache');
/** A `@kubekit/client` over the manager's KubeConfig (writes go to the API server); closed with the cache. */
export const CLIENT: ServiceIdentifier<KubeClient> = Symbol.for('@kubekit/reconcile.Client');

/**
 * The manager's {@link CachedClient} (the one `cachedClientFor(manager)` returns): reads from
 * `CACHE`, writes through `CLIENT`, and reads its own writes. What reconcilers usually inject.
 */
export const CACHED_CLIENT: ServiceIdentifier<CachedClient> = Symbol.for('@kubekit/reconcile.CachedClient');

/**
 * The manager's {@link EventRecorder} for the module's `eventRecorderName` (the one
 * `recorderFor(manager, name)` returns), writing with `CLIENT`; run by the manager.
 */
export const EVENT_RECORDER: ServiceIdentifier<EventRecorder> = Symbol.for(
  '@kubekit/reconcile.EventRecorder',
);

/** Options of {@link reconcileModule}. */
export interface ReconcileModuleOptions {
  /** `reportingController` of the injected `EVENT_RECORDER`. Default `kubekit-controller`. */
  readonly eventRecorderName?: string;
  /**
   * `reportingInstance` of the injected `EVENT_RECORDER`: which replica wrote an Event (e.g. the
   * Pod's name). Default `<eventRecorderName>-<hostname>`.
   */
  readonly eventRecorderInstance?: string;
}

/**
 * A `ContainerModule` (load it beside `managerModule(…)`) binding `CLIENT`, `CACHE`, `CACHED_CLIENT`, `EVENT_RECORDER`
 * (singletons), and building a controller for every `@controller` reconciler bound under
 * {@link RECONCILER} when the Manager is resolved, as `controllerManagedBy(manager).for(…).owns(…)`
 * would. A reconciler without `@controller`, or two controllers of one name, make the Manager's
 * resolution throw `ReconcileError` (`invalidArgument`, `duplicateController`).
 */
export function reconcileModule(options: ReconcileModuleOptions = {}): ContainerModule {
  const recorderName = options.eventRecorderName ?? 'kubekit-controller';
  return new ContainerModule(({ bind, onActivation }) => {
    bind(CLIENT)
      .toDynamicValue((context) =>
        createClient({ kubeConfig: context.get(KUBE_CONFIG), metrics: context.get(REGISTRY) }),
      )
      .inSingletonScope();
    bind(CACHE)
      .toDynamicValue((context) =>
        createCache({ client: context.get(CLIENT), metrics: context.get(REGISTRY) }),
      )
      .inSingletonScope();
    bind(CACHED_CLIENT)
      .toDynamicValue((context) =>
        createCachedClient({ cache: context.get(CACHE), client: context.get(CLIENT) }),
      )
      .inSingletonScope();
    bind(EVENT_RECORDER)
      .toDynamicValue((context) =>
        createEventRecorder({
          client: context.get(CLIENT),
          reportingController: recorderName,
          ...(options.eventRecorderInstance === undefined
            ? {}
            : { reportingInstance: options.eventRecorderInstance }),
          logger: context.get(LOGGER),
          metrics: context.get(REGISTRY),
        }),
      )
      .inSingletonScope();
    onActivation(MANAGER, (context, manager) => {
      const cache = context.get(CACHE);
      registerCache(manager, cache, context.get(CLIENT), context.get(CLIENT), context.get(CACHED_CLIENT));
      registerRecorder(manager, recorderName, context.get(EVENT_RECORDER));
      for (const reconciler of context.getAll(RECONCILER, { optional: true })) {
        const metadata = controllerMetadata(reconciler);
        if (metadata === undefined) {
          throw new ReconcileError(
            'invalidArgument',
            `a reconciler bound under RECONCILER (${describe(reconciler)}) has no @controller({ for: … }) decorator`,
          );
        }
        const builder = controllerManagedBy(manager, cache).for(metadata.for, metadata.forOptions);
        for (const owned of metadata.owns ?? []) builder.owns(owned);
        for (const filter of metadata.eventFilters ?? []) builder.withEventFilter(filter);
        if (metadata.name !== undefined) builder.named(metadata.name);
        if (metadata.options !== undefined) builder.withOptions(metadata.options);
        builder.complete(reconciler);
      }
      return manager;
    });
  });
}

function describe(value: unknown): string {
  const name = (value as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object';
}

import type { KubeObject } from '@kubekit/client';
import type { Manager } from '@kubekit/manager';
import type { Cache, CacheInformerOptions } from '../cache/cache.js';
import type { Controller, ControllerOptions } from '../controller/controller.js';
import { createController } from '../controller/default-controller.js';
import { enqueueRequestForObject, enqueueRequestForOwner, type EventHandler } from '../controller/handler.js';
import type { Predicate } from '../controller/predicate.js';
import { kindSource, type KindScope, type Source } from '../controller/source.js';
import { ReconcileError } from '../reconcile-error.js';
import { reconcilerFunc, type ReconcileFunc, type Reconciler } from '../reconciler.js';
import { cacheFor } from './manager-cache.js';

/** Options of the builder's `withOptions`: the controller's, minus what the builder provides. */
export type BuilderControllerOptions = Omit<ControllerOptions, 'name' | 'reconciler' | 'cache'>;

/** Options of `for` and `owns`. */
export interface ForOptions<T extends KubeObject = KubeObject> {
  /** Only events passing every predicate (besides those of `withEventFilter`). */
  readonly predicates?: readonly Predicate<T>[];
  /** Options of the kind's informer (indexers, transform, metadataOnly, resync). */
  readonly informer?: CacheInformerOptions<T>;
}

/** Options of `owns`. */
export interface OwnsOptions<T extends KubeObject = KubeObject> extends ForOptions<T> {
  /** Queue the owner for every owner reference of the `for` kind, not only `controller: true` ones. Default false. */
  readonly allOwners?: boolean;
}

interface PendingWatch {
  readonly source: Source;
  readonly handler: EventHandler;
  readonly predicates: readonly Predicate[];
}

const names = new WeakMap<Manager, Set<string>>();

/**
 * Assembles a controller and adds it (and the manager's shared cache) to a Manager, as
 * controller-runtime's builder. Start with {@link controllerManagedBy}.
 */
export class ControllerBuilder {
  readonly #manager: Manager;
  readonly #cache: Cache | undefined;
  #for: { scope: KindScope; options: ForOptions } | undefined;
  readonly #owns: { scope: KindScope; options: OwnsOptions }[] = [];
  readonly #watches: PendingWatch[] = [];
  readonly #filters: Predicate[] = [];
  #name: string | undefined;
  #options: BuilderControllerOptions = {};
  #completed = false;

  constructor(manager: Manager, cache?: Cache) {
    this.#manager = manager;
    this.#cache = cache;
  }

  /** The kind the controller reconciles: its objects' events queue their own requests. Call once. */
  for<T extends KubeObject = KubeObject>(kind: KindScope, options: ForOptions<T> = {}): this {
    if (this.#for !== undefined) {
      throw new ReconcileError(
        'invalidArgument',
        `builder: for(${kind.apiVersion}/${kind.kind}) after for(${this.#for.scope.apiVersion}/${this.#for.scope.kind}); a controller reconciles one kind`,
      );
    }
    this.#for = { scope: kind, options: options as ForOptions };
    return this;
  }

  /** A kind the reconciled objects own: a change to one queues its controlling owner of the `for` kind. */
  owns<T extends KubeObject = KubeObject>(kind: KindScope, options: OwnsOptions<T> = {}): this {
    this.#owns.push({ scope: kind, options: options as OwnsOptions });
    return this;
  }

  /** Any source, with a handler (default: queue the event's object) and predicates. */
  watches<T extends KubeObject = KubeObject>(
    source: Source<T>,
    handler: EventHandler<T> = enqueueRequestForObject<T>(),
    ...predicates: readonly Predicate<T>[]
  ): this {
    this.#watches.push({ source, handler, predicates } as unknown as PendingWatch);
    return this;
  }

  /** A predicate every event of every source must pass. */
  withEventFilter<T extends KubeObject = KubeObject>(predicate: Predicate<T>): this {
    this.#filters.push(predicate as unknown as Predicate);
    return this;
  }

  /** The controller's name (metrics label, logs; unique per manager). Default: the `for` kind in lower case. */
  named(name: string): this {
    this.#name = name;
    return this;
  }

  /** Workers, timeout, rate limiter, clock, metrics registry (default: the manager's), logger (default: the manager's). */
  withOptions(options: BuilderControllerOptions): this {
    this.#options = { ...this.#options, ...options };
    return this;
  }

  /**
   * Builds the controller with `reconciler` (an object with `reconcile`, or a reconcile function)
   * and adds it to the manager; returns it.
   * @throws ReconcileError `invalidArgument` without `for` and without a name, or for `owns` without `for`;
   * `duplicateController` when the manager has a controller of that name already; `invalidState` when called twice.
   */
  complete(reconciler: Reconciler | ReconcileFunc): Controller {
    if (this.#completed) throw new ReconcileError('invalidState', 'builder: complete() may be called once');
    const forKind = this.#for;
    const name = this.#name ?? forKind?.scope.kind.toLowerCase();
    if (name === undefined) {
      throw new ReconcileError(
        'invalidArgument',
        'builder: name the controller with named(…) or give it a kind with for(…)',
      );
    }
    if (forKind === undefined && this.#owns.length > 0) {
      throw new ReconcileError('invalidArgument', `builder ${name}: owns(…) needs for(…): the owner kind`);
    }
    let taken = names.get(this.#manager);
    if (taken === undefined) names.set(this.#manager, (taken = new Set()));
    if (taken.has(name)) {
      throw new ReconcileError(
        'duplicateController',
        `controller "${name}" exists already in this manager; give this one another name with named(…)`,
      );
    }
    const cache = this.#cache ?? cacheFor(this.#manager);
    const controller = createController({
      metrics: this.#manager.getRegistry(),
      logger: this.#manager.getLogger(),
      ...this.#options,
      name,
      reconciler: typeof reconciler === 'function' ? reconcilerFunc(reconciler) : reconciler,
      cache,
    });
    const watch = (source: Source, handler: EventHandler, predicates: readonly Predicate[]): void => {
      controller.watch({ source, handler, predicates: [...this.#filters, ...predicates] });
    };
    if (forKind !== undefined) {
      watch(
        kindSource(forKind.scope, forKind.options.informer),
        enqueueRequestForObject(),
        forKind.options.predicates ?? [],
      );
      for (const owned of this.#owns) {
        watch(
          kindSource(owned.scope, owned.options.informer),
          enqueueRequestForOwner(forKind.scope, { onlyController: owned.options.allOwners !== true }),
          owned.options.predicates ?? [],
        );
      }
    }
    for (const pending of this.#watches) watch(pending.source, pending.handler, pending.predicates);
    this.#manager.add(controller, { name: `controller-${name}` });
    taken.add(name);
    this.#completed = true;
    return controller;
  }
}

/**
 * Starts a controller for `manager`: `controllerManagedBy(manager).for(kind).owns(kind).complete(reconciler)`.
 * Kind sources read from the manager's shared cache ({@link cacheFor}), or from `cache` when given.
 */
export function controllerManagedBy(manager: Manager, cache?: Cache): ControllerBuilder {
  return new ControllerBuilder(manager, cache);
}

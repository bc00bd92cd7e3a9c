import type { BuilderControllerOptions, ForOptions } from '../builder/controller-builder.js';
import type { Predicate } from '../controller/predicate.js';
import type { KindScope } from '../controller/source.js';
import { ReconcileError } from '../reconcile-error.js';

/** What `@controller(…)` says about a reconciler class: the builder's calls, as data. */
export interface ControllerMetadata {
  /** The kind reconciled (the builder's `for`). */
  readonly for: KindScope;
  /** Predicates and informer options of the `for` kind (the builder's `for(kind, options)`). */
  readonly forOptions?: ForOptions;
  /** Kinds it owns (the builder's `owns`, controller owner references only). */
  readonly owns?: readonly KindScope[];
  /** Default: the `for` kind in lower case. */
  readonly name?: string;
  /** Predicates every event must pass (the builder's `withEventFilter`). */
  readonly eventFilters?: readonly Predicate[];
  readonly options?: BuilderControllerOptions;
}

const key = Symbol.for('@kubekit/reconcile.controller');

/**
 * Marks an `@injectable()` Reconciler class as a controller. Bind the class under `RECONCILER`
 * (`container.bind(RECONCILER).to(MyReconciler).inSingletonScope()`) in a container that loaded
 * `managerModule(…)` and `reconcileModule()`: resolving the Manager builds and adds its controller.
 *
 * @example
 * @controller({ for: { apiVersion: 'example.com/v1', kind: 'Memcached' }, owns: [{ apiVersion: 'apps/v1', kind: 'Deployment' }] })
 * @injectable()
 * class MemcachedReconciler implements Reconciler { … }
 */
export function controller(metadata: ControllerMetadata): ClassDecorator {
  if (typeof metadata.for.apiVersion !== 'string' || typeof metadata.for.kind !== 'string') {
    throw new ReconcileError('invalidArgument', '@controller: `for` must be a kind { apiVersion, kind }');
  }
  return (target) => {
    Object.defineProperty(target, key, { value: metadata, enumerable: false });
  };
}

/** The `@controller` metadata of a class (or of an instance's class), if it has any. */
export function controllerMetadata(target: unknown): ControllerMetadata | undefined {
  if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return undefined;
  const type = typeof target === 'function' ? target : (target as { constructor?: unknown }).constructor;
  if (typeof type !== 'function') return undefined;
  return (type as unknown as Record<symbol, ControllerMetadata | undefined>)[key];
}

import type { KindRef, KubeObject, ObjectRef } from '@kubekit/client';
import type { Observable } from 'rxjs';
import { ReconcileError } from '../reconcile-error.js';
import type { Cache, CacheInformerOptions, CacheListOptions, CacheOptions, ReadScope } from './cache.js';
import type { Informer, InformerEvent, InformerScope } from './informer.js';
import { compileSelector } from './label-selector.js';
import { createInformer, describeScope } from './shared-informer.js';
import { NAMESPACE_INDEX } from './store.js';

type State = 'idle' | 'running' | 'stopped';

interface Registered {
  readonly informer: Informer;
  readonly options: CacheInformerOptions;
}

function scopeKey(scope: InformerScope): string {
  return JSON.stringify([
    scope.apiVersion,
    scope.kind,
    scope.namespace ?? '',
    scope.labelSelector ?? '',
    scope.fieldSelector ?? '',
  ]);
}

/** The implementation of {@link Cache}; create it with {@link createCache}. */
class InformerCache implements Cache {
  readonly #options: CacheOptions;
  readonly #informers = new Map<string, Registered>();
  #state: State = 'idle';
  #signal: AbortSignal | undefined;
  #running: Promise<void>[] = [];

  constructor(options: CacheOptions) {
    this.#options = options;
  }

  informerFor<T extends KubeObject = KubeObject>(
    scope: InformerScope,
    options: CacheInformerOptions<T> = {},
  ): Informer<T> {
    const key = scopeKey(scope);
    const existing = this.#informers.get(key);
    if (existing !== undefined) {
      const differs =
        (options.transform !== undefined && options.transform !== existing.options.transform) ||
        (options.metadataOnly ?? false) !== (existing.options.metadataOnly ?? false) ||
        Object.keys(options.indexers ?? {}).some(
          (name) => existing.options.indexers?.[name] !== options.indexers?.[name],
        );
      if (differs) {
        throw new ReconcileError(
          'invalidArgument',
          `informer ${describeScope(scope)} exists with other options (indexers, transform or metadataOnly); give every option at its first registration`,
        );
      }
      return existing.informer as unknown as Informer<T>;
    }
    if (this.#state === 'stopped') {
      throw new ReconcileError('invalidState', `cache stopped: cannot add informer ${describeScope(scope)}`);
    }
    const o = this.#options;
    const informer = createInformer<T>({
      ...scope,
      client: o.client,
      ...(o.clock !== undefined && { clock: o.clock }),
      ...(o.metrics !== undefined && { metrics: o.metrics }),
      ...(o.pageSize !== undefined && { pageSize: o.pageSize }),
      ...(o.inactivityTimeoutMs !== undefined && { inactivityTimeoutMs: o.inactivityTimeoutMs }),
      ...(o.backoff !== undefined && { backoff: o.backoff }),
      ...(o.relistAfterFailures !== undefined && { relistAfterFailures: o.relistAfterFailures }),
      ...((options.resyncPeriodMs ?? o.resyncPeriodMs) !== undefined && {
        resyncPeriodMs: options.resyncPeriodMs ?? o.resyncPeriodMs ?? 0,
      }),
      ...(options.indexers !== undefined && { indexers: options.indexers }),
      ...(options.transform !== undefined && { transform: options.transform }),
      ...(options.metadataOnly !== undefined && { metadataOnly: options.metadataOnly }),
    });
    this.#informers.set(key, {
      informer: informer,
      options: options as CacheInformerOptions,
    });
    if (this.#state === 'running' && this.#signal !== undefined)
      this.#running.push(informer.start(this.#signal));
    return informer;
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.#state !== 'idle')
      throw new ReconcileError('invalidState', `cache: start may be called once (state ${this.#state})`);
    this.#state = 'running';
    this.#signal = signal;
    for (const { informer } of this.#informers.values()) this.#running.push(informer.start(signal));
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else
        signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
    });
    // Informers added while stopping are in #running too.
    for (let settled = 0; settled < this.#running.length; settled = this.#running.length) {
      await Promise.all(this.#running.slice(settled));
    }
    this.#state = 'stopped';
  }

  needLeaderElection(): false {
    return false;
  }

  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all(
      [...this.#informers.values()].map(({ informer }) => informer.waitForSync(signal)),
    );
    return results.every(Boolean);
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): T | undefined {
    const informer = this.#reader(ref, ref.namespace, {});
    const key =
      ref.namespace === undefined || ref.namespace === '' ? ref.name : `${ref.namespace}/${ref.name}`;
    return (informer.get(key) ?? informer.get(ref.name)) as T | undefined;
  }

  list<T extends KubeObject = KubeObject>(kind: KindRef, options: CacheListOptions = {}): T[] {
    const namespace = options.namespace ?? kind.namespace;
    const informer = this.#reader(kind, namespace, options);
    let objects: KubeObject[];
    if (options.index !== undefined) {
      objects = informer.byIndex(options.index.name, options.index.value);
      if (namespace !== undefined)
        objects = objects.filter((o) => (o.metadata?.namespace ?? '') === namespace);
    } else if (namespace !== undefined && informer.scope.namespace === undefined) {
      objects = informer.byIndex(NAMESPACE_INDEX, namespace);
    } else {
      objects = informer.list();
    }
    if (options.labels !== undefined) {
      const matches = compileSelector(options.labels);
      objects = objects.filter((o) => matches(o.metadata?.labels ?? {}));
    }
    return objects as T[];
  }

  readerFor(kind: KindRef, options: ReadScope = {}): Informer {
    return this.#reader(kind, options.namespace ?? kind.namespace, options);
  }

  informersOf(kind: KindRef): readonly Informer[] {
    const found: Informer[] = [];
    for (const { informer } of this.#informers.values()) {
      if (informer.scope.apiVersion === kind.apiVersion && informer.scope.kind === kind.kind)
        found.push(informer);
    }
    return found;
  }

  events<T extends KubeObject = KubeObject>(scope: InformerScope): Observable<InformerEvent<T>> {
    const registered = this.#informers.get(scopeKey(scope));
    if (registered === undefined) {
      throw new ReconcileError(
        'noInformer',
        `no informer for ${describeScope(scope)}: register it with cache.informerFor(scope) first`,
      );
    }
    return registered.informer.events() as unknown as Observable<InformerEvent<T>>;
  }

  healthy(): boolean {
    for (const { informer } of this.#informers.values()) if (!informer.healthy()) return false;
    return true;
  }

  checkHealth(): void {
    for (const { informer } of this.#informers.values()) informer.checkHealth();
  }

  /** The informer a read of `kind` in `namespace` goes to. */
  #reader(kind: KindRef, namespace: string | undefined, selectors: ReadScope): Informer {
    const candidates: Informer[] = [];
    for (const { informer } of this.#informers.values()) {
      const s = informer.scope;
      if (s.apiVersion !== kind.apiVersion || s.kind !== kind.kind) continue;
      if (s.namespace !== undefined && s.namespace !== namespace) continue;
      if (selectors.labelSelector !== undefined && s.labelSelector !== selectors.labelSelector) continue;
      if (selectors.fieldSelector !== undefined && s.fieldSelector !== selectors.fieldSelector) continue;
      candidates.push(informer);
    }
    const chosen =
      candidates.find((i) => i.scope.labelSelector === undefined && i.scope.fieldSelector === undefined) ??
      candidates[0];
    const wanted = describeScope({
      apiVersion: kind.apiVersion,
      kind: kind.kind,
      namespace,
      labelSelector: selectors.labelSelector,
      fieldSelector: selectors.fieldSelector,
    });
    if (chosen === undefined) {
      throw new ReconcileError(
        'noInformer',
        `no informer for ${wanted}: register one with cache.informerFor({ apiVersion, kind, namespace? }) before reading (reads never start informers)`,
      );
    }
    if (!chosen.hasSynced()) {
      throw new ReconcileError(
        'notSynced',
        `informer ${describeScope(chosen.scope)} has not synced yet: await cache.waitForCacheSync() first`,
      );
    }
    return chosen;
  }
}

/** Creates a {@link Cache}. */
export function createCache(options: CacheOptions): Cache {
  return new InformerCache(options);
}

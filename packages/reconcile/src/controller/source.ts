import type { KubeObject } from '@kubekit/client';
import { map, type Observable, type Subject } from 'rxjs';
import type { Cache, CacheInformerOptions } from '../cache/cache.js';
import type { InformerScope } from '../cache/informer.js';
import { ReconcileError } from '../reconcile-error.js';
import type { Request } from '../reconciler.js';

/** One change a source reports: an informer's event, or a `generic` one from an Observable or a channel. */
export interface ObjectEvent<T extends KubeObject = KubeObject> {
  readonly type: 'add' | 'update' | 'delete' | 'generic';
  /** The object now (for `delete`: as last seen). */
  readonly object: T;
  /** For `update`: the object before. */
  readonly oldObject?: T | undefined;
  /** True for objects of an initial list (or a resync): the controller queues them at low priority. */
  readonly initial: boolean;
}

/**
 * Where a controller's events come from. `prepare` is called once, when the source is added to a
 * controller (before the controller runs, before this replica leads): it registers what it needs
 * with the cache, so the cache warms up on followers. `events` is subscribed when the controller
 * starts (each term) and unsubscribed when it stops.
 */
export interface Source<T extends KubeObject = KubeObject> {
  /** What the source watches, for logs and errors. */
  readonly description: string;
  prepare?(cache: Cache | undefined): void;
  /** Resolves true once the source's initial content is available (false when `signal` aborts first). */
  waitForSync?(cache: Cache | undefined, signal: AbortSignal): Promise<boolean>;
  events(cache: Cache | undefined): Observable<ObjectEvent<T>>;
}

/** A kind as `{ apiVersion, kind }`, optionally scoped (namespace, selectors), as an informer watches it. */
export type KindScope = InformerScope;

/**
 * The events of a kind, from the cache's shared informer of `scope` (registered by `prepare`).
 * A new subscription first gets an `add` (`initial: true`) for every cached object, then live changes.
 */
export function kindSource<T extends KubeObject = KubeObject>(
  scope: KindScope,
  options: CacheInformerOptions<T> = {},
): Source<T> {
  const description =
    scope.namespace === undefined
      ? `${scope.apiVersion}/${scope.kind}`
      : `${scope.apiVersion}/${scope.kind} in ${scope.namespace}`;
  const informer = (cache: Cache | undefined) => {
    if (cache === undefined) {
      throw new ReconcileError(
        'invalidArgument',
        `source ${description}: a kind source needs a cache; give the controller one (the builder does)`,
      );
    }
    return cache.informerFor<T>(scope, options);
  };
  return {
    description,
    prepare: (cache) => {
      informer(cache);
    },
    waitForSync: (cache, signal) => informer(cache).waitForSync(signal),
    events: (cache) => informer(cache).events(),
  };
}

/** Objects from an Observable, each delivered as a `generic` event (not initial). */
export function observableSource<T extends KubeObject = KubeObject>(
  objects: Observable<T>,
  description = 'observable',
): Source<T> {
  return {
    description,
    events: () =>
      objects.pipe(map((object): ObjectEvent<T> => ({ type: 'generic', object, initial: false }))),
  };
}

/**
 * Requests from an Observable (or a channel: a `Subject<Request>`), each delivered as a `generic`
 * event of an object that has only `metadata.namespace` and `metadata.name`; use it with
 * {@link enqueueRequestForObject} (the default handler of `watches`).
 */
export function requestSource(requests: Observable<Request>, description = 'requests'): Source {
  return {
    description,
    events: () =>
      requests.pipe(
        map((request): ObjectEvent => ({
          type: 'generic',
          object: { metadata: { namespace: request.namespace, name: request.name } },
          initial: false,
        })),
      ),
  };
}

/**
 * A channel: whatever is pushed into `channel` (`channel.next(object)`) is delivered as a
 * `generic` event, while the controller runs. Pushes while it does not run are not kept.
 */
export function channelSource<T extends KubeObject = KubeObject>(channel: Subject<T>): Source<T> {
  return observableSource(channel.asObservable(), 'channel');
}

import type { KubeObject } from '@kubekit/client';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Request } from '../reconciler.js';
import type { ObjectEvent } from './source.js';

/** Maps one event to the requests to queue (none, one or many). */
export type EventHandler<T extends KubeObject = KubeObject> = (event: ObjectEvent<T>) => readonly Request[];

function requestOf(object: KubeObject): Request | undefined {
  const name = object.metadata?.name;
  if (name === undefined || name === '') return undefined;
  return { namespace: object.metadata?.namespace ?? '', name };
}

/** Queues the object the event is about (controller-runtime's `EnqueueRequestForObject`). */
export function enqueueRequestForObject<T extends KubeObject = KubeObject>(): EventHandler<T> {
  return (event) => {
    const request = requestOf(event.object);
    return request === undefined ? [] : [request];
  };
}

/** Options of {@link enqueueRequestForOwner}. */
export interface OwnerHandlerOptions {
  /** Only owner references with `controller: true` (default), or every matching owner reference. */
  readonly onlyController?: boolean;
  /** Whether the owner kind is cluster-scoped: its requests then have no namespace. Default false. */
  readonly clusterScoped?: boolean;
}

/** The API group of an apiVersion: `apps` of `apps/v1`, `` of `v1`. */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Queues the owner of the object the event is about: its owner references of `owner`'s kind (the
 * same API group and kind; any version), by default only the one with `controller: true`
 * (controller-runtime's `EnqueueRequestForOwner` with `OnlyControllerOwner`). For an update, the
 * owners of the old and the new object are both queued (an owner that lost the object hears of it).
 */
export function enqueueRequestForOwner<T extends KubeObject = KubeObject>(
  owner: { readonly apiVersion: string; readonly kind: string },
  options: OwnerHandlerOptions = {},
): EventHandler<T> {
  const group = groupOf(owner.apiVersion);
  const onlyController = options.onlyController ?? true;
  const matches = (ref: OwnerReference): boolean =>
    ref.kind === owner.kind &&
    groupOf(ref.apiVersion) === group &&
    (!onlyController || ref.controller === true);
  const owners = (object: KubeObject | undefined, into: Map<string, Request>): void => {
    for (const ref of object?.metadata?.ownerReferences ?? []) {
      if (!matches(ref)) continue;
      const namespace = options.clusterScoped === true ? '' : (object?.metadata?.namespace ?? '');
      into.set(`${namespace}/${ref.name}`, { namespace, name: ref.name });
    }
  };
  return (event) => {
    const found = new Map<string, Request>();
    owners(event.object, found);
    owners(event.oldObject, found);
    return [...found.values()];
  };
}

/** Queues what `map` returns for the event's object (for an update: for the new object). */
export function enqueueRequestsFromMapFunc<T extends KubeObject = KubeObject>(
  map: (object: T) => readonly Request[],
): EventHandler<T> {
  return (event) => map(event.object);
}

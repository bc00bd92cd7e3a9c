import type { KubeObject } from '../objects/kube-object.js';

/** The event types a watch yields (`ERROR` events are thrown as errors instead). */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/**
 * One watch event. A `BOOKMARK`'s object carries only `apiVersion`, `kind` and
 * `metadata.resourceVersion` (and, after initial events, the `k8s.io/initial-events-end`
 * annotation).
 */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

import type { ListMeta, ObjectMeta } from 'kubernetes-types/meta/v1.js';

/**
 * Any Kubernetes object as plain JSON (as on the wire: timestamps are strings). Built-in kinds
 * are typed by the types-only `kubernetes-types` package, e.g. `Deployment` from
 * `kubernetes-types/apps/v1`; custom resources by the user's own interfaces.
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** A list as the API server sends it. */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** A kind, and optionally a namespace: what `list`, `watch` and `deleteCollection` address. */
export interface KindRef {
  /** E.g. `v1`, `apps/v1`, `example.com/v1alpha1`. */
  readonly apiVersion: string;
  /** E.g. `Pod`, `Deployment`. */
  readonly kind: string;
  /** For namespaced kinds; absent: every namespace (list and watch). Ignored for cluster-scoped kinds. */
  readonly namespace?: string | undefined;
}

/** One object by kind, namespace and name: what `get`, `patch` and `delete` address. */
export interface ObjectRef extends KindRef {
  readonly name: string;
}

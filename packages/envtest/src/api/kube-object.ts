/** A JSON object as decoded from a request body. */
export type JsonObject = Record<string, unknown>;

/** An owner reference as stored in `metadata.ownerReferences`. */
export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

/** The metadata fields the server reads or writes; any other field is kept as sent. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

/** A stored Kubernetes object. Stored objects are never mutated: every write stores a new one. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of a JSON value (faster than structuredClone for the small objects we hold). */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * Deep equality of two JSON values (key order ignored; a key whose value is undefined counts as
 * absent). Allocates nothing: it runs on every tracked update, whose body carries the
 * managedFields the client read.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i += 1) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  let keys = 0;
  for (const key in a) {
    const value = a[key];
    if (!Object.hasOwn(a, key) || value === undefined) continue;
    keys += 1;
    if (!jsonEqual(value, b[key])) return false;
  }
  for (const key in b) if (Object.hasOwn(b, key) && b[key] !== undefined) keys -= 1;
  return keys === 0;
}

/** Time as kube-apiserver writes `metav1.Time`: RFC 3339, UTC, whole seconds. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `namespace/name`, or `name` for a cluster-scoped object. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

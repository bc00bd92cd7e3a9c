import type { Condition, ObjectMeta } from 'kubernetes-types/meta/v1.js';

/** The custom resource's group, version and kind (deploy/crd.yaml). */
export const memcachedGroup = 'cache.example.com';
export const memcachedVersion = 'v1alpha1';
export const memcachedApiVersion = `${memcachedGroup}/${memcachedVersion}`;
export const memcachedKind = 'Memcached';

/** The finalizer the operator puts on every Memcached before it creates anything for it. */
export const memcachedFinalizer = 'cache.example.com/finalizer';

/** `spec.size` when absent (the CRD's schema default; the operator applies it too, for a CRD installed without that schema). */
export const defaultSize = 1;
/** The bounds the CRD's schema sets on `spec.size`. */
export const minSize = 1;
export const maxSize = 5;

/** The image of the Deployments the operator creates. */
export const memcachedImage = 'memcached:1.6.38-alpine';

/** A Memcached custom resource, as JSON on the wire. */
export interface Memcached {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: { size?: number };
  status?: { conditions?: Condition[] };
}

import type { KubeObject } from '@kubekit/client';

/**
 * Changes an object before the informer stores it and hands it to handlers (e.g. drops fields
 * nobody reads, to save memory). It may modify and return its argument.
 */
export type Transform<T extends KubeObject = KubeObject> = (object: T) => T;

/** The default transform: drops `metadata.managedFields` (often most of an object's size). */
export function stripManagedFields<T extends KubeObject>(object: T): T {
  if (object.metadata?.managedFields === undefined) return object;
  // A new metadata object rather than `delete`: V8 turns an object a property was deleted from
  // into a slower, larger dictionary.
  const { managedFields: _dropped, ...metadata } = object.metadata;
  object.metadata = metadata;
  return object;
}

/**
 * Keeps only what a `PartialObjectMetadata` holds: apiVersion, kind and metadata (managedFields
 * dropped). Used for metadata-only informers.
 */
export function toPartialObjectMetadata<T extends KubeObject>(object: T): T {
  const metadata = { ...object.metadata };
  delete metadata.managedFields;
  return { apiVersion: object.apiVersion, kind: object.kind, metadata } as T;
}

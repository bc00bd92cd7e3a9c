import type { KubeObject } from '../api/kube-object.js';

/** What `as=…;g=meta.k8s.io;v=v1` of an Accept header asks for, if it asks for metadata only. */
export type PartialAs = 'PartialObjectMetadata' | 'PartialObjectMetadataList';

/**
 * The metadata-only representation an Accept header asks for (the first acceptable media type
 * wins, as kube-apiserver negotiates), or undefined for full objects.
 */
export function wantsPartialMetadata(accept: string | undefined): PartialAs | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const params = part.split(';').map((p) => p.trim());
    const media = params[0] ?? '';
    if (media !== 'application/json' && media !== '*/*') continue;
    const as = params.find((p) => p.startsWith('as='))?.slice(3);
    if (as === undefined) return undefined;
    if (
      (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') &&
      params.includes('g=meta.k8s.io') &&
      params.includes('v=v1')
    ) {
      return as;
    }
  }
  return undefined;
}

const partials = new WeakMap<KubeObject, Record<string, unknown>>();

/** An object as `meta.k8s.io/v1` PartialObjectMetadata (computed once per stored object). */
export function asPartialObjectMetadata(object: KubeObject): Record<string, unknown> {
  let partial = partials.get(object);
  if (partial === undefined) {
    partial = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
    partials.set(object, partial);
  }
  return partial;
}

/** Objects as a `meta.k8s.io/v1` PartialObjectMetadataList. */
export function asPartialObjectMetadataList(
  items: readonly KubeObject[],
  metadata: Record<string, unknown>,
): Record<string, unknown> {
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    items: items.map(asPartialObjectMetadata),
  };
}

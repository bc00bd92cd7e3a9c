import type { KubeObject } from '../api/kube-object.js';
import { derivedForm } from '../storage/encoded-objects.js';

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

const PARTIAL = Symbol('PartialObjectMetadata');

/**
 * An object as `meta.k8s.io/v1` PartialObjectMetadata: made (and its JSON encoded) once per
 * stored object version.
 */
export function asPartialObjectMetadata(object: KubeObject): Record<string, unknown> {
  const make = (): Record<string, unknown> => ({
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: object.metadata,
  });
  return Object.isFrozen(object) ? derivedForm(object, PARTIAL, make) : make();
}

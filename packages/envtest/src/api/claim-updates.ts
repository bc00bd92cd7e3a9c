import { forbiddenValue } from './api-error.js';
import type { StatusCause } from './api-error.js';
import type { KubeObject } from './kube-object.js';
import { recordAt } from './pod-defaults.js';
import { fieldDiff, semanticEqual } from './spec-comparison.js';

const CLAIM_SPEC_FORBIDDEN =
  'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';

/**
 * What an update may change in a PersistentVolumeClaim's spec, as kube-apiserver 1.32 (default
 * feature gates) allows: `volumeName` while it is unset, and the storage request of a bound
 * claim. Anything else is one Forbidden cause on `spec`.
 */
export function claimUpdateCauses(object: KubeObject, old: KubeObject | undefined): StatusCause[] {
  if (old === undefined) return [];
  const spec = recordAt(object, 'spec') ?? {};
  const oldSpec = recordAt(old, 'spec') ?? {};
  const munged: Record<string, unknown> = { ...spec };
  if (!oldSpec['volumeName']) munged['volumeName'] = oldSpec['volumeName'];
  if (recordAt(object, 'status')?.['phase'] === 'Bound') {
    const resources = { ...recordAt(spec, 'resources') };
    const requests = { ...recordAt(resources, 'requests') };
    requests['storage'] = recordAt(oldSpec, 'resources', 'requests')?.['storage'];
    resources['requests'] = requests;
    munged['resources'] = resources;
  }
  if (semanticEqual(munged, oldSpec)) return [];
  return [forbiddenValue('spec', `${CLAIM_SPEC_FORBIDDEN}\n${fieldDiff(oldSpec, munged)}`)];
}

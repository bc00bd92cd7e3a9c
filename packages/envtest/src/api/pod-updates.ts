import { forbiddenValue, invalidValue } from './api-error.js';
import type { StatusCause } from './api-error.js';
import { cloneJson, isRecord } from './kube-object.js';
import type { KubeObject } from './kube-object.js';
import { recordAt } from './pod-defaults.js';
import { fieldDiff, semanticEqual } from './spec-comparison.js';

const POD_SPEC_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';
const MAX_INT32 = 2147483647;

/** The activeDeadlineSeconds rule: set from nothing, or lowered; never removed. */
function deadlineCauses(spec: Record<string, unknown>, oldSpec: Record<string, unknown>): StatusCause[] {
  const deadline = spec['activeDeadlineSeconds'];
  const before = oldSpec['activeDeadlineSeconds'];
  const field = 'spec.activeDeadlineSeconds';
  if (deadline !== undefined && deadline !== null) {
    if (typeof deadline !== 'number' || deadline < 0 || deadline > MAX_INT32) {
      return [invalidValue(field, deadline, `must be between 0 and ${MAX_INT32}, inclusive`)];
    }
    if (typeof before === 'number' && before < deadline) {
      return [invalidValue(field, deadline, 'must be less than or equal to previous value')];
    }
  } else if (before !== undefined && before !== null) {
    // kube-apiserver prints the nil pointer as the string "null".
    return [invalidValue(field, 'null', 'must not update from a positive integer to nil value')];
  }
  return [];
}

/** Every old toleration must still be there (its tolerationSeconds may change). */
function tolerationsKept(spec: Record<string, unknown>, oldSpec: Record<string, unknown>): boolean {
  const now = Array.isArray(spec['tolerations']) ? (spec['tolerations'] as unknown[]) : [];
  const before = Array.isArray(oldSpec['tolerations']) ? (oldSpec['tolerations'] as unknown[]) : [];
  const bare = (toleration: unknown) =>
    isRecord(toleration) ? { ...toleration, tolerationSeconds: undefined } : toleration;
  return before.every((old) => now.some((toleration) => semanticEqual(bare(old), bare(toleration))));
}

/**
 * What kube-apiserver lets a Pod update change in `spec` (ValidatePodUpdate, with the 1.32
 * default feature gates): container and init container images, activeDeadlineSeconds (set or
 * lowered), added tolerations, terminationGracePeriodSeconds from negative to 1, removed
 * scheduling gates. Anything else is one Forbidden cause on `spec`.
 */
export function podUpdateCauses(object: KubeObject, old: KubeObject | undefined): StatusCause[] {
  if (old === undefined) return [];
  const spec = recordAt(object, 'spec') ?? {};
  const oldSpec = recordAt(old, 'spec') ?? {};
  const deadline = deadlineCauses(spec, oldSpec);
  if (deadline.length > 0) return deadline;
  const causes: StatusCause[] = [];
  const munged = cloneJson(spec);
  for (const key of ['containers', 'initContainers']) {
    const containers = munged[key];
    const before = oldSpec[key];
    if (!Array.isArray(containers) || !Array.isArray(before)) continue;
    containers.forEach((container: unknown, index) => {
      const previous: unknown = before[index];
      if (isRecord(container) && isRecord(previous)) container['image'] = previous['image'];
    });
  }
  munged['activeDeadlineSeconds'] = oldSpec['activeDeadlineSeconds'];
  const grace = oldSpec['terminationGracePeriodSeconds'];
  if (typeof grace === 'number' && grace < 0 && munged['terminationGracePeriodSeconds'] === 1) {
    munged['terminationGracePeriodSeconds'] = grace;
  }
  if (tolerationsKept(spec, oldSpec)) munged['tolerations'] = oldSpec['tolerations'];
  else {
    causes.push(
      forbiddenValue(
        'spec.tolerations',
        'existing toleration can not be modified except its tolerationSeconds',
      ),
    );
    munged['tolerations'] = oldSpec['tolerations'];
  }
  const gates = Array.isArray(spec['schedulingGates']) ? (spec['schedulingGates'] as unknown[]) : [];
  const oldGates = Array.isArray(oldSpec['schedulingGates']) ? (oldSpec['schedulingGates'] as unknown[]) : [];
  if (gates.every((gate) => oldGates.some((before) => semanticEqual(before, gate)))) {
    munged['schedulingGates'] = oldSpec['schedulingGates'];
  }
  // Ephemeral containers are written through their own subresource, not by an update.
  munged['ephemeralContainers'] = oldSpec['ephemeralContainers'];
  if (!semanticEqual(munged, oldSpec)) {
    causes.push(forbiddenValue('spec', `${POD_SPEC_FORBIDDEN}\n${fieldDiff(oldSpec, munged)}`));
  }
  return causes;
}

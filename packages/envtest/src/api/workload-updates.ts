import { forbiddenValue, invalidValue } from './api-error.js';
import type { StatusCause } from './api-error.js';
import type { KubeObject } from './kube-object.js';
import { recordAt } from './pod-defaults.js';
import { semanticEqual } from './spec-comparison.js';

/** The StatefulSet spec fields an update may change (kube-apiserver 1.32). */
const STATEFUL_SET_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
] as const;

const STATEFUL_SET_FORBIDDEN =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

function without(
  spec: Record<string, unknown> | undefined,
  fields: readonly string[],
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(spec ?? {}).filter(([key]) => !fields.includes(key)));
}

/** An update of a StatefulSet may change only the fields in STATEFUL_SET_MUTABLE. */
export function statefulSetUpdateCauses(object: KubeObject, old: KubeObject | undefined): StatusCause[] {
  if (old === undefined) return [];
  const before = without(recordAt(old, 'spec'), STATEFUL_SET_MUTABLE);
  const after = without(recordAt(object, 'spec'), STATEFUL_SET_MUTABLE);
  return semanticEqual(before, after) ? [] : [forbiddenValue('spec', STATEFUL_SET_FORBIDDEN)];
}

/**
 * The template fields a Job may change while it is suspended and has never started (kube's
 * mutable scheduling directives): they are taken from the new template before comparing.
 */
function withSchedulingDirectives(
  template: Record<string, unknown> | undefined,
  from: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const metadata = { ...recordAt(template, 'metadata') };
  const spec = { ...recordAt(template, 'spec') };
  const fromMetadata = recordAt(from, 'metadata');
  const fromSpec = recordAt(from, 'spec');
  for (const key of ['labels', 'annotations']) metadata[key] = fromMetadata?.[key];
  for (const key of ['nodeSelector', 'tolerations', 'schedulingGates', 'affinity'])
    spec[key] = fromSpec?.[key];
  return { ...template, metadata, spec };
}

/**
 * A Job's `spec.template` and `spec.completionMode` may not change, except the scheduling
 * directives of the template of a suspended Job that has never started.
 */
export function jobUpdateCauses(object: KubeObject, old: KubeObject | undefined): StatusCause[] {
  if (old === undefined) return [];
  const causes: StatusCause[] = [];
  const oldSpec = recordAt(old, 'spec');
  const spec = recordAt(object, 'spec');
  const template = recordAt(spec, 'template');
  let oldTemplate = recordAt(oldSpec, 'template');
  const neverStarted = recordAt(old, 'status')?.['startTime'] === undefined;
  if (oldSpec?.['suspend'] === true && neverStarted)
    oldTemplate = withSchedulingDirectives(oldTemplate, template);
  if (!semanticEqual(oldTemplate, template)) {
    causes.push(invalidValue('spec.template', template ?? null, 'field is immutable'));
  }
  if (!semanticEqual(oldSpec?.['completionMode'], spec?.['completionMode'])) {
    causes.push(invalidValue('spec.completionMode', spec?.['completionMode'] ?? null, 'field is immutable'));
  }
  return causes;
}

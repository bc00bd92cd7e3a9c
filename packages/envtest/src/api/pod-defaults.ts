import { invalidValue } from './api-error.js';
import type { StatusCause } from './api-error.js';
import { isRecord, jsonEqual } from './kube-object.js';
import type { KubeObject } from './kube-object.js';

/** The object at `key` of `parent`, created (as `{}`) when absent. */
export function record(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = parent[key];
  if (isRecord(value)) return value;
  const fresh: Record<string, unknown> = {};
  parent[key] = fresh;
  return fresh;
}

/** The object at a path, or undefined when a step is not an object. */
export function recordAt(object: unknown, ...path: string[]): Record<string, unknown> | undefined {
  let current = object;
  for (const part of path) current = isRecord(current) ? current[part] : undefined;
  return isRecord(current) ? current : undefined;
}

function imagePullPolicy(image: unknown): string {
  if (typeof image !== 'string') return 'IfNotPresent';
  const name = image.split('@')[0] ?? image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > slash ? name.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(container: unknown): void {
  if (!isRecord(container)) return;
  container['terminationMessagePath'] ??= '/dev/termination-log';
  container['terminationMessagePolicy'] ??= 'File';
  container['imagePullPolicy'] ??= imagePullPolicy(container['image']);
  container['resources'] ??= {};
  const ports = container['ports'];
  if (Array.isArray(ports)) for (const port of ports) if (isRecord(port)) port['protocol'] ??= 'TCP';
  const env = container['env'];
  if (Array.isArray(env)) {
    for (const variable of env) {
      const fieldRef = recordAt(variable, 'valueFrom', 'fieldRef');
      if (fieldRef !== undefined) fieldRef['apiVersion'] ??= 'v1';
    }
  }
}

/**
 * kube-apiserver's defaults of a PodSpec (SetDefaults_PodSpec and its containers'), in place.
 * `terminationGracePeriodSeconds` (30) is defaulted in templates only: a bare Pod without it
 * keeps envtest's short `podGracePeriodMs`.
 */
export function defaultPodSpec(spec: Record<string, unknown>, template = false): void {
  spec['restartPolicy'] ??= 'Always';
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
  if (template) spec['terminationGracePeriodSeconds'] ??= 30;
  spec['securityContext'] ??= {};
  spec['enableServiceLinks'] ??= true;
  for (const key of ['containers', 'initContainers']) {
    const containers = spec[key];
    if (Array.isArray(containers)) for (const container of containers) defaultContainer(container);
  }
  const volumes = spec['volumes'];
  if (Array.isArray(volumes)) {
    for (const volume of volumes) {
      for (const source of ['configMap', 'secret'] as const) {
        const of = recordAt(volume, source);
        if (of !== undefined) of['defaultMode'] ??= 420;
      }
    }
  }
}

/** Defaults of the pod template at `spec.template` (workloads) or `spec.jobTemplate.spec.template`. */
export function defaultPodTemplate(template: Record<string, unknown> | undefined): void {
  if (template === undefined) return;
  const spec = recordAt(template, 'spec');
  if (spec !== undefined) defaultPodSpec(spec, true);
}

/** `spec.selector` may not change once set (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs). */
export function immutableSelector(object: KubeObject, old: KubeObject | undefined): StatusCause[] {
  if (old === undefined) return [];
  const before = recordAt(old, 'spec')?.['selector'];
  const after = recordAt(object, 'spec')?.['selector'];
  return jsonEqual(before, after) ? [] : [invalidValue('spec.selector', after ?? null, 'field is immutable')];
}

/** The template labels must match `spec.selector.matchLabels`, as for every workload. */
export function selectorMatchesTemplate(object: KubeObject): StatusCause[] {
  const spec = recordAt(object, 'spec');
  const selector = recordAt(spec, 'selector');
  if (selector === undefined) return [];
  const matchLabels = recordAt(selector, 'matchLabels') ?? {};
  const labels = recordAt(spec, 'template', 'metadata', 'labels') ?? {};
  if (Object.entries(matchLabels).every(([key, value]) => labels[key] === value)) return [];
  return [
    invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
  ];
}

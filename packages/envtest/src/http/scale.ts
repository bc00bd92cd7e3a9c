import { ApiError } from '../api/api-error.js';
import { cloneJson, isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import type { ScaleSubresource } from '../api/resource-type.js';

/** An `autoscaling/v1` Scale, the view of a resource's `scale` subresource. */
export interface Scale {
  kind: 'Scale';
  apiVersion: 'autoscaling/v1';
  metadata: Record<string, unknown>;
  spec: { replicas: number };
  status: { replicas: number; selector?: string };
}

function path(of: string): string[] {
  return of.replace(/^\./, '').split('.');
}

function read(object: unknown, at: string): unknown {
  let current = object;
  for (const part of path(at)) current = isRecord(current) ? current[part] : undefined;
  return current;
}

function selectorOf(object: KubeObject, scale: ScaleSubresource): string | undefined {
  if (scale.labelSelectorPath !== undefined) {
    const value = read(object, scale.labelSelectorPath);
    return typeof value === 'string' ? value : undefined;
  }
  const matchLabels = read(object, '.spec.selector.matchLabels');
  if (!isRecord(matchLabels)) return undefined;
  return Object.entries(matchLabels)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(',');
}

/** The Scale of an object of a type with a `scale` subresource. */
export function scaleOf(scale: ScaleSubresource, object: KubeObject): Scale {
  const specReplicas = read(object, scale.specReplicasPath);
  const statusReplicas = read(object, scale.statusReplicasPath);
  const selector = selectorOf(object, scale);
  const meta = object.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name,
      ...(meta.namespace === undefined ? {} : { namespace: meta.namespace }),
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 },
    status: {
      replicas: typeof statusReplicas === 'number' ? statusReplicas : 0,
      ...(selector === undefined ? {} : { selector }),
    },
  };
}

/**
 * The object with the replicas a Scale asks for, carrying the Scale's resourceVersion (if any)
 * so that the update is conditional on it.
 * @throws ApiError 422 when `spec.replicas` is not a non-negative integer.
 */
export function applyScale(scale: ScaleSubresource, object: KubeObject, body: unknown): KubeObject {
  const replicas = read(body, '.spec.replicas');
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw ApiError.invalid(
      { group: 'autoscaling', plural: 'scale', kind: 'Scale' },
      object.metadata.name ?? '',
      [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
          field: 'spec.replicas',
        },
      ],
    );
  }
  const updated = cloneJson(object);
  const parts = path(scale.specReplicasPath);
  let parent: Record<string, unknown> = updated;
  for (const part of parts.slice(0, -1)) {
    const next = parent[part];
    if (isRecord(next)) parent = next;
    else {
      const fresh: Record<string, unknown> = {};
      parent[part] = fresh;
      parent = fresh;
    }
  }
  parent[parts[parts.length - 1] ?? 'replicas'] = replicas;
  const version = read(body, '.metadata.resourceVersion');
  updated.metadata.resourceVersion =
    typeof version === 'string' && version !== '' ? version : (object.metadata.resourceVersion ?? '');
  return updated;
}

import { cloneJson, isRecord } from '../api/kube-object.js';
import { childPath } from './openapi-schema.js';
import type { OpenApiSchema } from './openapi-schema.js';

/** Fields every object and every embedded resource keeps, whatever its schema says. */
const OBJECT_FIELDS = ['apiVersion', 'kind', 'metadata'];

function pruneValue(
  value: unknown,
  schema: OpenApiSchema,
  path: string,
  pruned: string[],
  embedded: boolean,
): void {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (isRecord(items))
      value.forEach((item, index) => {
        pruneValue(item, items, childPath(path, index), pruned, false);
      });
    return;
  }
  if (!isRecord(value)) return;
  const keep = embedded || schema['x-kubernetes-embedded-resource'] === true;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const properties = schema.properties ?? {};
  const additional = isRecord(schema.additionalProperties) ? schema.additionalProperties : undefined;
  for (const key of Object.keys(value)) {
    // An object's own apiVersion, kind and metadata follow ObjectMeta, not the schema.
    if (keep && OBJECT_FIELDS.includes(key)) continue;
    const own = properties[key];
    if (own !== undefined) {
      pruneValue(value[key], own, childPath(path, key), pruned, false);
    } else if (additional !== undefined) {
      pruneValue(value[key], additional, childPath(path, key), pruned, false);
    } else if (!preserve && schema.additionalProperties !== true) {
      pruned.push(childPath(path, key));
      Reflect.deleteProperty(value, key);
    }
  }
}

/**
 * Removes, in place, the fields of a custom resource its schema does not specify (apiextensions'
 * pruning): not under `x-kubernetes-preserve-unknown-fields`, `additionalProperties`, or the
 * `apiVersion`/`kind`/`metadata` of the object and of embedded resources.
 * @returns the paths of the removed fields (`spec.unknown`), for `fieldValidation`.
 */
export function pruneUnknownFields(object: Record<string, unknown>, schema: OpenApiSchema): string[] {
  const pruned: string[] = [];
  pruneValue(object, schema, '', pruned, true);
  return pruned;
}

function defaultValue(value: unknown, schema: OpenApiSchema, root = false): void {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (isRecord(items)) for (const item of value) defaultValue(item, items);
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (root && key === 'metadata') continue;
    const current = value[key];
    const missing = current === undefined || (current === null && property.nullable !== true);
    if (missing && property.default !== undefined) value[key] = cloneJson(property.default);
    defaultValue(value[key], property);
  }
  const additional = schema.additionalProperties;
  if (isRecord(additional)) {
    for (const key of Object.keys(value))
      if (!(key in (schema.properties ?? {}))) defaultValue(value[key], additional);
  }
}

/**
 * Fills in, in place, the schema's `default`s of absent fields (and of `null` in fields that are
 * not nullable), top-down, so that defaults inside a defaulted object apply too.
 */
export function applyDefaults(object: Record<string, unknown>, schema: OpenApiSchema): void {
  defaultValue(object, schema, true);
}

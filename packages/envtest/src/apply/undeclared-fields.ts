import { ApiError } from '../api/api-error.js';
import { cloneJson, isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import { dropUnknownFields } from '../api/known-fields.js';
import type { ResourceType } from '../api/resource-type.js';
import { pruneUnknownFields } from '../schema/prune-unknown-fields.js';
import { printPath } from './field-set.js';
import { keyElement } from './object-fields.js';
import { DEDUCED, fieldShape } from './shape.js';
import type { Shape } from './shape.js';

/** The path element of a list item: its keys in a list map, its value in a set, else its index. */
function itemElement(item: unknown, index: number, shape: Shape): string {
  if (shape.kind === 'list' && isRecord(item)) return keyElement(item, shape.keys);
  if (shape.kind === 'set') return `v:${JSON.stringify(item)}`;
  return `i:${String(index)}`;
}

/**
 * Adds to `found` the paths of the fields of `value` that `declared` (the same value with the
 * undeclared fields dropped) lacks: per object only the first one, as structured-merge-diff stops
 * reading an object at its first undeclared field.
 */
function undeclared(value: unknown, declared: unknown, shape: Shape, path: string[], found: string[]): void {
  if (isRecord(value) && isRecord(declared)) {
    for (const key of Object.keys(value)) {
      path.push(`f:${key}`);
      if (!(key in declared)) {
        found.push(printPath(path));
        path.pop();
        return;
      }
      undeclared(value[key], declared[key], fieldShape(shape, key), path, found);
      path.pop();
    }
    return;
  }
  if (Array.isArray(value) && Array.isArray(declared)) {
    const items = shape.kind === 'list' ? (shape.items ?? DEDUCED) : DEDUCED;
    value.forEach((item, index) => {
      path.push(itemElement(item, index, shape));
      undeclared(item, declared[index], items, path, found);
      path.pop();
    });
  }
}

/**
 * Refuses an apply configuration with fields its kind's schema does not declare (outside
 * `x-kubernetes-preserve-unknown-fields`), whatever `fieldValidation` says: kube-apiserver's field
 * manager fails to type the patch before any field validation. Its error is not a Status error,
 * so kube-apiserver answers it as 500 with no reason: the newest release, 1.36.3, does (its
 * apimachinery field manager wraps the error with fmt.Errorf, and the apiserver's patch handler
 * passes it on), and so does the main branch after it.
 * @throws ApiError 500 `failed to create typed patch object (ns/name; group/version, Kind=Kind):
 * .path: field not declared in schema`.
 */
export function checkDeclaredFields(type: ResourceType, config: KubeObject, shape: Shape): void {
  const declared = cloneJson(config);
  const dropped = type.custom
    ? type.schema === undefined
      ? []
      : pruneUnknownFields(declared, type.schema.schema)
    : dropUnknownFields(type, declared);
  if (dropped.length === 0) return;
  const found: string[] = [];
  undeclared(config, declared, shape, [], found);
  const errors = found.map((path) => `${path}: field not declared in schema`);
  const text =
    errors.length === 1 ? (errors[0] ?? '') : ['errors:', ...errors.map((e) => `  ${e}`)].join('\n');
  const namespace = typeof config.metadata.namespace === 'string' ? config.metadata.namespace : '';
  const name = typeof config.metadata.name === 'string' ? config.metadata.name : '';
  // The object as the body names it: a body without a namespace shows none.
  throw new ApiError(
    500,
    '',
    `failed to create typed patch object (${namespace}/${name}; ${type.group}/${type.version}, Kind=${type.kind}): ${text}`,
  );
}

import { isRecord, jsonEqual } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import { FieldSet } from './field-set.js';
import { DEDUCED, fieldShape } from './shape.js';
import type { Shape } from './shape.js';

/** Metadata fields the server owns: never in a manager's field set. */
const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

/** Which part of an object a write may own: the main resource (no status) or the status. */
export type FieldScope = 'all' | 'main' | 'status';

/** The `k:` element of a list-map item: its key fields as sorted JSON. */
export function keyElement(item: Record<string, unknown>, keys: readonly string[]): string {
  const picked: Record<string, unknown> = {};
  for (const key of [...keys].sort()) if (item[key] !== undefined) picked[key] = item[key];
  return `k:${JSON.stringify(picked)}`;
}

/**
 * Adds the field paths of `value` under `node`; when `old` is given, also marks in `changed`
 * the paths whose value is new or different there.
 */
function collect(
  value: unknown,
  old: unknown,
  shape: Shape,
  node: FieldSet,
  changed: FieldSet | undefined,
): void {
  const leaf = (): void => {
    node.member = true;
    if (changed !== undefined && !jsonEqual(value, old)) changed.member = true;
  };
  const marker = (): void => {
    node.member = true;
    if (changed !== undefined && old === undefined) changed.member = true;
  };
  if (isRecord(value) && (shape.kind === 'struct' || shape.kind === 'map')) {
    const keys = Object.keys(value);
    if (shape.kind === 'map') marker();
    else if (keys.length === 0) leaf();
    const oldRecord = isRecord(old) ? old : undefined;
    for (const key of keys) {
      const element = `f:${key}`;
      const inner = changed?.child(element);
      collect(value[key], oldRecord?.[key], fieldShape(shape, key), node.child(element), inner);
      if (inner?.empty === true) changed?.children.delete(element);
    }
    return;
  }
  if (Array.isArray(value) && shape.kind === 'list' && value.every(isRecord)) {
    // An associative list is owned through its items; an empty one is a value of its own.
    if (value.length === 0) leaf();
    const oldItems = Array.isArray(old) ? old.filter(isRecord) : [];
    for (const item of value) {
      const element = keyElement(item, shape.keys);
      const previous = oldItems.find((candidate) => keyElement(candidate, shape.keys) === element);
      const inner = changed?.child(element);
      const itemNode = node.child(element);
      itemNode.member = true;
      if (inner !== undefined && previous === undefined) inner.member = true;
      collect(item, previous, shape.items ?? DEDUCED, itemNode, inner);
      itemNode.member = true;
      if (inner?.empty === true) changed?.children.delete(element);
    }
    return;
  }
  if (Array.isArray(value) && shape.kind === 'set') {
    marker();
    const oldValues = Array.isArray(old) ? old : [];
    for (const item of value) {
      const element = `v:${JSON.stringify(item)}`;
      node.child(element).member = true;
      if (changed !== undefined && !oldValues.some((candidate) => jsonEqual(candidate, item))) {
        changed.child(element).member = true;
      }
    }
    return;
  }
  leaf();
}

function scoped(object: KubeObject, scope: FieldScope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if (scope === 'main' && key === 'status') continue;
    if (scope === 'status' && key !== 'status') continue;
    if (key === 'metadata' && isRecord(value)) {
      const metadata: Record<string, unknown> = {};
      for (const [field, item] of Object.entries(value))
        if (!SERVER_METADATA.has(field)) metadata[field] = item;
      if (Object.keys(metadata).length > 0) out[key] = metadata;
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** The fields an object sets, as a manager applying it would own them. */
export function fieldSetOf(object: KubeObject, shape: Shape, scope: FieldScope): FieldSet {
  const set = new FieldSet();
  const fields = scoped(object, scope);
  for (const [key, value] of Object.entries(fields)) {
    collect(value, undefined, fieldShape(shape, key), set.child(`f:${key}`), undefined);
  }
  return set;
}

/**
 * What an update changed: `changed` holds the paths of `updated` that are new or have another
 * value than in `old`; `removed` the paths of `old` that `updated` no longer has.
 */
export function changedFields(
  old: KubeObject,
  updated: KubeObject,
  shape: Shape,
  scope: FieldScope,
): { changed: FieldSet; removed: FieldSet } {
  const after = new FieldSet();
  const changed = new FieldSet();
  const oldFields = scoped(old, scope);
  for (const [key, value] of Object.entries(scoped(updated, scope))) {
    const inner = changed.child(`f:${key}`);
    collect(value, oldFields[key], fieldShape(shape, key), after.child(`f:${key}`), inner);
    if (inner.empty) changed.children.delete(`f:${key}`);
  }
  const removed = fieldSetOf(old, shape, scope).difference(after);
  return { changed, removed };
}

import { isRecord, jsonEqual } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import { FieldSet } from './field-set.js';
import { declares, DEDUCED, fieldShape } from './shape.js';
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

/** Field paths of a value's subtree, under `node`. */
function subtree(value: unknown, shape: Shape, node: FieldSet): void {
  collect(value, undefined, shape, node, undefined, undefined);
}

/** Where `collect` writes: the set of `value`, and optionally what changed and was removed. */
function child(node: FieldSet | undefined, element: string): FieldSet | undefined {
  return node?.child(element);
}

function prune(node: FieldSet | undefined, element: string): void {
  if (node?.children.get(element)?.empty === true) node.children.delete(element);
}

/**
 * Adds the field paths of `value` under `node` (when given); when `changed` is given, also marks
 * there the paths whose value is new or different from `old`, and in `removed` the paths of
 * `old` that `value` no longer has.
 */
function collect(
  value: unknown,
  old: unknown,
  shape: Shape,
  node: FieldSet | undefined,
  changed: FieldSet | undefined,
  removed: FieldSet | undefined,
): void {
  const leaf = (): void => {
    if (node !== undefined) node.member = true;
    if (changed !== undefined && !jsonEqual(value, old)) changed.member = true;
  };
  const marker = (): void => {
    if (node !== undefined) node.member = true;
    if (changed !== undefined && old === undefined) changed.member = true;
  };
  if (isRecord(value) && (shape.kind === 'struct' || shape.kind === 'map')) {
    const keys = Object.keys(value);
    if (shape.kind === 'map') marker();
    else if (keys.length === 0) leaf();
    const oldRecord = isRecord(old) ? old : undefined;
    for (const key of keys) {
      const element = `f:${key}`;
      const inner = fieldShape(shape, key);
      collect(
        value[key],
        oldRecord?.[key],
        inner,
        child(node, element),
        child(changed, element),
        child(removed, element),
      );
      prune(changed, element);
      prune(removed, element);
    }
    if (removed !== undefined && oldRecord !== undefined) {
      for (const key of Object.keys(oldRecord)) {
        if (!(key in value)) subtree(oldRecord[key], fieldShape(shape, key), removed.child(`f:${key}`));
      }
    }
    return;
  }
  if (Array.isArray(value) && shape.kind === 'list' && value.every(isRecord)) {
    // An associative list is owned through its items; an empty one is a value of its own.
    if (value.length === 0) leaf();
    const oldItems = Array.isArray(old) ? old.filter(isRecord) : [];
    const items = shape.items ?? DEDUCED;
    const present = new Set<string>();
    for (const item of value) {
      const element = keyElement(item, shape.keys);
      present.add(element);
      const previous = oldItems.find((candidate) => keyElement(candidate, shape.keys) === element);
      const itemNode = child(node, element);
      const inner = child(changed, element);
      if (inner !== undefined && previous === undefined) inner.member = true;
      collect(item, previous, items, itemNode, inner, child(removed, element));
      if (itemNode !== undefined) itemNode.member = true;
      prune(changed, element);
      prune(removed, element);
    }
    if (removed !== undefined) {
      for (const item of oldItems) {
        const element = keyElement(item, shape.keys);
        if (present.has(element)) continue;
        const gone = removed.child(element);
        subtree(item, items, gone);
        gone.member = true;
      }
    }
    return;
  }
  if (Array.isArray(value) && shape.kind === 'set') {
    marker();
    const oldValues = Array.isArray(old) ? old : [];
    for (const item of value) {
      const element = `v:${JSON.stringify(item)}`;
      if (node !== undefined) node.child(element).member = true;
      if (changed !== undefined && !oldValues.some((candidate) => jsonEqual(candidate, item))) {
        changed.child(element).member = true;
      }
    }
    if (removed !== undefined) {
      for (const item of oldValues) {
        if (!value.some((candidate) => jsonEqual(candidate, item)))
          removed.child(`v:${JSON.stringify(item)}`).member = true;
      }
    }
    return;
  }
  leaf();
}

/** True when a top-level field of an object is one a write to `scope` may own. */
function inScope(key: string, scope: FieldScope): boolean {
  if (key === 'apiVersion' || key === 'kind') return false;
  if (scope === 'main') return key !== 'status';
  if (scope === 'status') return key === 'status';
  return true;
}

/** True when an object has a field a write to `scope` may own. */
function hasOwnedField(object: KubeObject, scope: FieldScope): boolean {
  for (const key of Object.keys(object)) {
    if (key !== 'metadata' && object[key] !== undefined && inScope(key, scope)) return true;
  }
  return scope !== 'status' && hasOwnedMetadata(object.metadata);
}

function scoped(object: KubeObject, scope: FieldScope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (!inScope(key, scope)) continue;
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

/** The fields an object sets, as an update that creates it owns them. */
export function fieldSetOf(object: KubeObject, shape: Shape, scope: FieldScope): FieldSet {
  const set = new FieldSet();
  const fields = scoped(object, scope);
  for (const [key, value] of Object.entries(fields))
    subtree(value, fieldShape(shape, key), set.child(`f:${key}`));
  return set;
}

/**
 * Adds under `node` the paths of `value` as an apply owns them (structured-merge-diff's
 * ToFieldSet): leaves, atomic values, list items and set values are members, and so is a field
 * that is an empty or null value or a key a map (or an untyped object) does not declare; a
 * declared struct or map field with contents is not (its contents are owned, not the field). An
 * empty list is not owned either.
 */
function appliedSubtree(value: unknown, shape: Shape, node: FieldSet): void {
  if (isRecord(value) && (shape.kind === 'struct' || shape.kind === 'map')) {
    appliedFields(value, shape, node);
    return;
  }
  if (Array.isArray(value) && shape.kind === 'list' && value.every(isRecord)) {
    const items = shape.items ?? DEDUCED;
    for (const item of value) {
      const element = node.child(keyElement(item, shape.keys));
      appliedSubtree(item, items, element);
      element.member = true;
    }
    return;
  }
  if (Array.isArray(value) && shape.kind === 'set') {
    for (const item of value) node.child(`v:${JSON.stringify(item)}`).member = true;
    return;
  }
  node.member = true;
}

/** `appliedSubtree` of each field of a record. */
function appliedFields(value: Record<string, unknown>, shape: Shape, node: FieldSet): void {
  for (const key of Object.keys(value)) {
    const inner = value[key];
    if (inner === undefined) continue;
    const element = node.child(`f:${key}`);
    appliedSubtree(inner, fieldShape(shape, key), element);
    if (inner === null || (isRecord(inner) && isEmptyRecord(inner)) || !declares(shape, key))
      element.member = true;
  }
}

/** The fields an apply of `object` owns (see `appliedSubtree`). */
export function appliedFieldSet(object: KubeObject, shape: Shape, scope: FieldScope): FieldSet {
  const set = new FieldSet();
  appliedFields(scoped(object, scope), shape, set);
  return set;
}

/** Inserts into `set` the paths of `value`'s subtree under `path`. */
function insertSubtree(set: FieldSet, path: readonly string[], value: unknown, shape: Shape): void {
  let node = set;
  for (const element of path) node = node.child(element);
  subtree(value, shape, node);
}

/**
 * The difference of two values at `path`, inserted lazily (nothing is allocated where they are
 * equal): new or different paths into `changed`, paths that are gone into `removed`.
 */
function diff(
  value: unknown,
  old: unknown,
  shape: Shape,
  path: string[],
  changed: FieldSet,
  removed: FieldSet,
): void {
  if (value === old) return;
  if (isRecord(value) && isRecord(old) && (shape.kind === 'struct' || shape.kind === 'map')) {
    diffFields(value, old, shape, path, changed, removed, undefined);
    if (shape.kind === 'struct' && isEmptyRecord(value) && !isEmptyRecord(old)) changed.insert(path);
    return;
  }
  if (jsonEqual(value, old)) return;
  if (Array.isArray(value) && Array.isArray(old) && (shape.kind === 'list' || shape.kind === 'set')) {
    // Lists that merge by key or value: compare item by item.
    const inner = new FieldSet();
    const gone = new FieldSet();
    collect(value, old, shape, undefined, inner, gone);
    graft(changed, path, inner);
    graft(removed, path, gone);
    return;
  }
  // A scalar, an atomic value, or a change of type: the value itself changed.
  insertSubtree(changed, path, value, shape);
  if (isRecord(old) || Array.isArray(old)) {
    const gone = new FieldSet();
    subtree(old, shape, gone);
    graft(removed, path, gone.difference(changed));
  }
}

function isEmptyRecord(value: Record<string, unknown>): boolean {
  return Object.keys(value).length === 0;
}

/** `diff` of the fields of two records, except those `skip` says are not owned. */
function diffFields(
  value: Record<string, unknown>,
  old: Record<string, unknown>,
  shape: Shape,
  path: string[],
  changed: FieldSet,
  removed: FieldSet,
  skip: ((key: string) => boolean) | undefined,
): void {
  for (const key of Object.keys(value)) {
    const inner = value[key];
    if (inner === undefined || skip?.(key) === true) continue;
    path.push(`f:${key}`);
    const before = old[key];
    if (before === undefined) insertSubtree(changed, path, inner, fieldShape(shape, key));
    else diff(inner, before, fieldShape(shape, key), path, changed, removed);
    path.pop();
  }
  for (const key of Object.keys(old)) {
    const before = old[key];
    if (value[key] !== undefined || before === undefined || skip?.(key) === true) continue;
    path.push(`f:${key}`);
    insertSubtree(removed, path, before, fieldShape(shape, key));
    path.pop();
  }
}

const isServerMetadata = (key: string): boolean => SERVER_METADATA.has(key);

/** True when metadata has a field a manager may own. */
function hasOwnedMetadata(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false;
  for (const key of Object.keys(value))
    if (value[key] !== undefined && !SERVER_METADATA.has(key)) return true;
  return false;
}

/** Metadata without the fields the server owns. */
function ownedMetadata(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(value)) if (!SERVER_METADATA.has(field)) out[field] = item;
  return out;
}

/**
 * `diff` of two objects' metadata as if the fields the server owns were absent, without copying
 * either (metadata left with none of the other fields counts as absent: it is never itself owned).
 */
function diffMetadata(
  value: unknown,
  old: unknown,
  shape: Shape,
  path: string[],
  changed: FieldSet,
  removed: FieldSet,
): void {
  path.push('f:metadata');
  if (isRecord(value) && isRecord(old))
    diffFields(value, old, shape, path, changed, removed, isServerMetadata);
  else if (hasOwnedMetadata(value)) insertSubtree(changed, path, ownedMetadata(value), shape);
  else if (hasOwnedMetadata(old)) insertSubtree(removed, path, ownedMetadata(old), shape);
  path.pop();
}

/** Adds `set` under `path` of `target`. */
function graft(target: FieldSet, path: readonly string[], set: FieldSet): void {
  if (set.empty) return;
  let node = target;
  for (const element of path.slice(0, -1)) node = node.child(element);
  const last = path[path.length - 1];
  if (last === undefined) return;
  const existing = node.children.get(last);
  node.children.set(last, existing === undefined ? set : existing.union(set));
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
  const changed = new FieldSet();
  const removed = new FieldSet();
  const path: string[] = [];
  const skip = (key: string): boolean => key === 'metadata' || !inScope(key, scope);
  diffFields(updated, old, shape, path, changed, removed, skip);
  if (scope !== 'status') {
    diffMetadata(updated.metadata, old.metadata, fieldShape(shape, 'metadata'), path, changed, removed);
  }
  // As for any struct: emptied of every field it had is a change of its own.
  if (!removed.empty && !hasOwnedField(updated, scope) && hasOwnedField(old, scope)) changed.member = true;
  return { changed, removed };
}

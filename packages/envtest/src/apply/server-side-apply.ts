import { ApiError } from '../api/api-error.js';
import type { StatusCause } from '../api/api-error.js';
import { cloneJson, isRecord, jsonEqual } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import { FieldSet, printPath } from './field-set.js';
import { readManagedFields, sameManager, writeManagedFields } from './managed-fields.js';
import type { ManagedEntry } from './managed-fields.js';
import { appliedFieldSet, keyElement } from './object-fields.js';
import type { FieldScope } from './object-fields.js';
import { fieldShape } from './shape.js';
import type { Shape } from './shape.js';

/** One apply request. */
export interface ApplyRequest {
  readonly manager: string;
  readonly force: boolean;
  /** apiVersion the request was made in (recorded in the entry, named in conflicts). */
  readonly apiVersion: string;
  readonly subresource?: string;
  readonly shape: Shape;
  readonly scope: FieldScope;
  readonly time: string;
}

interface Conflict {
  readonly entry: ManagedEntry;
  readonly path: string[];
}

function keysOf(element: string): Record<string, unknown> {
  return JSON.parse(element.slice(2)) as Record<string, unknown>;
}

function matchesKeys(item: unknown, keys: Record<string, unknown>): boolean {
  return isRecord(item) && Object.entries(keys).every(([key, value]) => jsonEqual(item[key], value));
}

/** The value at a field path, or undefined. */
function valueAt(object: unknown, path: readonly string[]): unknown {
  let current = object;
  for (const element of path) {
    const kind = element.slice(0, 2);
    const rest = element.slice(2);
    if (kind === 'f:') current = isRecord(current) ? current[rest] : undefined;
    else if (kind === 'k:') {
      const keys = keysOf(element);
      current = Array.isArray(current) ? current.find((item) => matchesKeys(item, keys)) : undefined;
    } else if (kind === 'v:') {
      const wanted: unknown = JSON.parse(rest);
      current =
        Array.isArray(current) && current.some((item) => jsonEqual(item, wanted)) ? wanted : undefined;
    } else if (kind === 'i:') current = Array.isArray(current) ? current[Number(rest)] : undefined;
    else return undefined;
  }
  return current;
}

/** Removes the element `last` of a record or list in place; true when it was there. */
function removeElement(parent: unknown, last: string): boolean {
  const kind = last.slice(0, 2);
  if (kind === 'f:' && isRecord(parent)) {
    const field = last.slice(2);
    if (!(field in parent)) return false;
    Reflect.deleteProperty(parent, field);
    return true;
  }
  if (!Array.isArray(parent)) return false;
  const keys = kind === 'k:' ? keysOf(last) : undefined;
  const wanted: unknown = kind === 'v:' ? JSON.parse(last.slice(2)) : undefined;
  const index = parent.findIndex((item) =>
    keys !== undefined ? matchesKeys(item, keys) : kind === 'v:' ? jsonEqual(item, wanted) : false,
  );
  if (index < 0) return false;
  parent.splice(index, 1);
  return true;
}

function isEmpty(value: unknown): boolean {
  return Array.isArray(value) ? value.length === 0 : isRecord(value) && Object.keys(value).length === 0;
}

/**
 * Removes the value at a field path in place. A map, struct or list the removal leaves empty goes
 * too, as structured-merge-diff's removal leaves it null (which the built-in types' `omitempty`
 * and custom resources' pruning of nulls drop).
 */
function removeAt(object: unknown, path: readonly string[]): void {
  const last = path[path.length - 1];
  if (last === undefined) return;
  const parentPath = path.slice(0, -1);
  const parent = valueAt(object, parentPath);
  if (!removeElement(parent, last) || !isEmpty(parent)) return;
  const container = parentPath[parentPath.length - 1];
  if (container !== undefined) removeElement(valueAt(object, parentPath.slice(0, -1)), container);
}

/** Merges an applied configuration into the live value, by the value's shape. */
function merge(live: unknown, config: unknown, shape: Shape): unknown {
  if (isRecord(config) && isRecord(live) && (shape.kind === 'struct' || shape.kind === 'map')) {
    const out: Record<string, unknown> = { ...live };
    for (const [key, value] of Object.entries(config))
      out[key] = merge(live[key], value, fieldShape(shape, key));
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live) && shape.kind === 'list' && config.every(isRecord)) {
    const out: unknown[] = live.slice();
    for (const item of config) {
      const element = keyElement(item, shape.keys);
      const index = out.findIndex(
        (candidate) => isRecord(candidate) && keyElement(candidate, shape.keys) === element,
      );
      if (index >= 0) out[index] = merge(out[index], item, shape.items ?? { kind: 'struct', fields: {} });
      else out.push(cloneJson(item));
    }
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live) && shape.kind === 'set') {
    const out: unknown[] = live.slice();
    for (const item of config) if (!out.some((candidate) => jsonEqual(candidate, item))) out.push(item);
    return out;
  }
  return cloneJson(config);
}

function managerName(entry: ManagedEntry): string {
  const subresource =
    entry.subresource === undefined ? '' : ` with subresource ${JSON.stringify(entry.subresource)}`;
  const using = entry.operation === 'Update' ? ` using ${entry.apiVersion}` : '';
  return `${JSON.stringify(entry.manager)}${subresource}${using}`;
}

/** 409 Conflict as kube-apiserver's field manager words it. */
function conflictError(conflicts: readonly Conflict[]): ApiError {
  const causes: StatusCause[] = conflicts.map((conflict) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${managerName(conflict.entry)}`,
    field: printPath(conflict.path),
  }));
  let message: string;
  const first = conflicts[0];
  if (conflicts.length === 1 && first !== undefined) {
    message = `Apply failed with 1 conflict: conflict with ${managerName(first.entry)}: ${printPath(first.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const conflict of conflicts) {
      const name = managerName(conflict.entry);
      byManager.set(name, [...(byManager.get(name) ?? []), printPath(conflict.path)]);
    }
    const lines: string[] = [];
    for (const name of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${name}:`);
      for (const path of byManager.get(name) ?? []) lines.push(`- ${path}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

function isLeaf(set: FieldSet, path: readonly string[]): boolean {
  let node: FieldSet | undefined = set;
  for (const element of path) node = node?.children.get(element);
  return node?.children.size === 0;
}

/**
 * Server-side apply of `config` over `live` (undefined: the apply creates the object): conflicts
 * with other managers (409 unless `force`, which takes the fields over), removal of the fields
 * this manager applied before and no longer applies (unless another manager owns them), the
 * merge by list keys, and the managed fields of the result.
 * @throws ApiError 409 Conflict listing the conflicting fields and managers.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  config: KubeObject,
  request: ApplyRequest,
): KubeObject {
  const applied = appliedFieldSet(config, request.shape, request.scope);
  const entries = readManagedFields(live?.metadata['managedFields']);
  const isOwn = (entry: ManagedEntry): boolean =>
    sameManager(entry, request.manager, 'Apply', request.apiVersion, request.subresource);
  const conflicts: Conflict[] = [];
  if (live !== undefined) {
    // A conflict is a field of another manager the apply changes: compared in the merge's result
    // (an empty map applied over a granular map changes nothing; over an atomic one it does).
    let preview: unknown;
    for (const entry of entries) {
      if (isOwn(entry)) continue;
      for (const path of applied.intersection(entry.fields).paths()) {
        if (!isLeaf(applied, path)) continue;
        preview ??= merge(live, config, request.shape);
        if (!jsonEqual(valueAt(live, path), valueAt(preview, path))) conflicts.push({ entry, path });
      }
    }
  }
  if (conflicts.length > 0 && !request.force) throw conflictError(conflicts);
  const taken = new FieldSet();
  for (const conflict of conflicts) taken.insert(conflict.path);
  const previous = entries.find(isOwn)?.fields ?? new FieldSet();
  const others = entries
    .filter((entry) => !isOwn(entry))
    .map((entry) => ({ ...entry, fields: entry.fields.difference(taken) }));
  const result = cloneJson(live ?? config);
  if (live !== undefined) {
    const dropped = previous.difference(applied);
    // Shallowest first: a removed list item takes its fields with it.
    const paths = dropped.paths().sort((a, b) => a.length - b.length);
    const removed: string[][] = [];
    for (const path of paths) {
      if (removed.some((prefix) => prefix.every((element, index) => path[index] === element))) continue;
      if (others.some((entry) => entry.fields.touches(path))) continue;
      if (applied.touches(path)) continue;
      removeAt(result, path);
      removed.push(path);
    }
  }
  const merged = (live === undefined ? result : merge(result, config, request.shape)) as KubeObject;
  merged.metadata = { ...merged.metadata };
  const own: ManagedEntry = {
    manager: request.manager,
    operation: 'Apply',
    apiVersion: request.apiVersion,
    time: request.time,
    ...(request.subresource === undefined ? {} : { subresource: request.subresource }),
    fields: applied,
  };
  const managedFields = writeManagedFields([...others, own]);
  if (managedFields === undefined) Reflect.deleteProperty(merged.metadata, 'managedFields');
  else merged.metadata['managedFields'] = managedFields;
  return merged;
}

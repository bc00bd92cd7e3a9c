import { cloneJson, isRecord } from '../api/kube-object.js';

/**
 * List fields of built-in types that strategic merge patch merges by a key instead of replacing,
 * by field name (the last path segment), as the Go struct tags of the core types declare.
 */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  conditions: 'type',
  ownerReferences: 'uid',
  imagePullSecrets: 'name',
  tolerations: 'key',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
};

/** Lists merged as sets of scalars. */
const SET_LISTS = new Set(['finalizers']);

function mergeList(field: string, target: unknown, patch: unknown[]): unknown[] {
  const key = MERGE_KEYS[field];
  if (SET_LISTS.has(field) && Array.isArray(target)) {
    const result: unknown[] = [...(target as unknown[])];
    for (const item of patch) if (!result.includes(item)) result.push(cloneJson(item));
    return result;
  }
  if (key === undefined || !Array.isArray(target)) {
    return patch
      .filter((item) => !(isRecord(item) && item['$patch'] === 'delete'))
      .map((item) => cloneJson(item));
  }
  // Service ports merge by port, not containerPort.
  const result: unknown[] = [...(target as unknown[])];
  for (const item of patch) {
    if (!isRecord(item)) continue;
    const itemKey = key in item ? key : 'port' in item ? 'port' : key;
    const index = result.findIndex((existing) => isRecord(existing) && existing[itemKey] === item[itemKey]);
    if (item['$patch'] === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = strategicMergePatch(result[index], item);
    } else {
      result.push(strategicMergePatch(undefined, item));
    }
  }
  return result;
}

/**
 * Strategic merge patch for the built-in types: a JSON merge patch in which the lists that
 * Kubernetes declares with a merge key (containers, env, conditions, ownerReferences, …) merge
 * item by item, `$patch: delete` removes an item and other `$` directives are ignored.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return cloneJson(patch);
  if (patch['$patch'] === 'replace') {
    const replaced = { ...patch };
    Reflect.deleteProperty(replaced, '$patch');
    return cloneJson(replaced);
  }
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) continue;
    if (value === null) Reflect.deleteProperty(result, key);
    else if (Array.isArray(value)) result[key] = mergeList(key, result[key], value);
    else result[key] = strategicMergePatch(result[key], value);
  }
  return result;
}

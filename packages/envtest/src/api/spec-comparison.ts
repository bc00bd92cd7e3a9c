import { isRecord } from './kube-object.js';

/** A value Go decodes to its zero value: absent, null, "", an empty list or an empty map. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return isRecord(value) && Object.keys(value).length === 0;
}

/**
 * Equality as kube-apiserver's `Semantic.DeepEqual` sees two decoded objects: a field that is
 * absent, null, "", [] or {} on one side equals the same on the other (Go decodes them all to
 * the zero value), numbers and booleans compare exactly.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) || isEmpty(b)) return isEmpty(a) && isEmpty(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => semanticEqual(item, b[index]));
  }
  if (isRecord(a) || isRecord(b)) {
    if (!isRecord(a) || !isRecord(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!semanticEqual(a[key], b[key])) return false;
    return true;
  }
  return a === b;
}

/**
 * The top-level fields in which `after` differs from `before`, one `-`/`+` line pair each (JSON
 * values), for the diff kube-apiserver appends to "may not change" messages. kube-apiserver
 * prints a go-cmp diff of its internal types there, which no client can parse: this keeps its
 * purpose (which fields changed) in a stable form.
 */
export function fieldDiff(before: Record<string, unknown>, after: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const lines: string[] = [];
  for (const key of keys) {
    if (semanticEqual(before[key], after[key])) continue;
    if (!isEmpty(before[key])) lines.push(`- ${key}: ${JSON.stringify(before[key])}`);
    if (!isEmpty(after[key])) lines.push(`+ ${key}: ${JSON.stringify(after[key])}`);
  }
  return lines.join('\n');
}

import type { Condition } from 'kubernetes-types/meta/v1.js';

/** A condition to set: `lastTransitionTime` is filled in when the status changes. */
export interface ConditionInput {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  /** CamelCase, as the API requires (e.g. `Available`, `ReconcileFailed`). */
  readonly reason: string;
  readonly message?: string;
  /** The `metadata.generation` this condition was computed from. */
  readonly observedGeneration?: number;
}

/** RFC 3339 to the second, as `metav1.Time` is written. */
function timeOf(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Sets `condition` in `conditions` (in place), as apimachinery's `meta.SetStatusCondition`: a new
 * type is appended; for an existing one, `lastTransitionTime` changes only when the status
 * changes, while reason, message and observedGeneration are updated. Returns true when anything changed.
 */
export function setStatusCondition(
  conditions: Condition[],
  condition: ConditionInput,
  now = new Date(),
): boolean {
  const existing = conditions.find((c) => c.type === condition.type);
  if (existing === undefined) {
    conditions.push({
      type: condition.type,
      status: condition.status,
      reason: condition.reason,
      message: condition.message ?? '',
      lastTransitionTime: timeOf(now),
      ...(condition.observedGeneration === undefined
        ? {}
        : { observedGeneration: condition.observedGeneration }),
    });
    return true;
  }
  let changed = false;
  if (existing.status !== condition.status) {
    existing.status = condition.status;
    existing.lastTransitionTime = timeOf(now);
    changed = true;
  }
  if (existing.reason !== condition.reason) {
    existing.reason = condition.reason;
    changed = true;
  }
  const message = condition.message ?? '';
  if (existing.message !== message) {
    existing.message = message;
    changed = true;
  }
  if (
    condition.observedGeneration !== undefined &&
    existing.observedGeneration !== condition.observedGeneration
  ) {
    existing.observedGeneration = condition.observedGeneration;
    changed = true;
  }
  return changed;
}

/** The condition of `type`, if present. */
export function findStatusCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Removes the condition of `type` (in place); true when there was one. */
export function removeStatusCondition(conditions: Condition[], type: string): boolean {
  const index = conditions.findIndex((c) => c.type === type);
  if (index < 0) return false;
  conditions.splice(index, 1);
  return true;
}

/** True when the condition of `type` is present with status `True`. */
export function isStatusConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findStatusCondition(conditions, type)?.status === 'True';
}

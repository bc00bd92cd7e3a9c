import type { KubeObject, ObjectClient } from '@kubekit/client';

/** True when `object` lists `finalizer` in `metadata.finalizers`. */
export function hasFinalizer(object: KubeObject, finalizer: string): boolean {
  return object.metadata?.finalizers?.includes(finalizer) ?? false;
}

/** Adds `finalizer` to `object` (in place) unless present; true when it changed the object. */
export function addFinalizer(object: KubeObject, finalizer: string): boolean {
  if (hasFinalizer(object, finalizer)) return false;
  object.metadata = { ...object.metadata, finalizers: [...(object.metadata?.finalizers ?? []), finalizer] };
  return true;
}

/** Removes `finalizer` from `object` (in place); true when it changed the object. */
export function removeFinalizer(object: KubeObject, finalizer: string): boolean {
  if (!hasFinalizer(object, finalizer)) return false;
  object.metadata = {
    ...object.metadata,
    finalizers: (object.metadata?.finalizers ?? []).filter((f) => f !== finalizer),
  };
  return true;
}

/** True once deletion was requested (`metadata.deletionTimestamp` is set): finalizers run now. */
export function isBeingDeleted(object: KubeObject): boolean {
  return object.metadata?.deletionTimestamp !== undefined;
}

/** What {@link finalize} did. */
export type FinalizeOutcome =
  /** The object lives and had the finalizer already: reconcile it normally. */
  | 'present'
  /** The object lives and the finalizer was added (written to the API server). */
  | 'added'
  /** The object is being deleted: `cleanup` ran and the finalizer was removed. Stop reconciling it. */
  | 'finalized'
  /** The object is being deleted and does not carry the finalizer: nothing to do. Stop reconciling it. */
  | 'deleting';

/**
 * The everyday finalizer pattern: on a live object, make sure it carries `finalizer`; on an object
 * being deleted that carries it, run `cleanup` (external resources), then remove the finalizer so
 * the deletion completes. Writes with `update` (conditioned on the object's resourceVersion): a
 * 409 Conflict is thrown, and the reconcile retried, never lost. A throw of `cleanup` keeps the
 * finalizer (the deletion waits) and is thrown on.
 */
export async function finalize<T extends KubeObject>(
  client: Pick<ObjectClient, 'update'>,
  object: T,
  finalizer: string,
  cleanup: (object: T, signal: AbortSignal | undefined) => Promise<void>,
  signal?: AbortSignal,
): Promise<FinalizeOutcome> {
  const copy = structuredClone(object);
  if (!isBeingDeleted(copy)) {
    if (!addFinalizer(copy, finalizer)) return 'present';
    await client.update(copy, { signal });
    return 'added';
  }
  if (!hasFinalizer(copy, finalizer)) return 'deleting';
  await cleanup(object, signal);
  removeFinalizer(copy, finalizer);
  await client.update(copy, { signal });
  return 'finalized';
}

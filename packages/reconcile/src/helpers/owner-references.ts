import type { KubeObject } from '@kubekit/client';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { ReconcileError } from '../reconcile-error.js';

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function describe(object: KubeObject): string {
  const namespace = object.metadata?.namespace;
  const name = object.metadata?.name ?? '(no name)';
  return `${object.kind ?? '(no kind)'} ${namespace === undefined || namespace === '' ? name : `${namespace}/${name}`}`;
}

function referenceTo(owner: KubeObject): OwnerReference {
  const { apiVersion, kind } = owner;
  const name = owner.metadata?.name;
  const uid = owner.metadata?.uid;
  if (apiVersion === undefined || kind === undefined || name === undefined || uid === undefined) {
    throw new ReconcileError(
      'invalidArgument',
      `owner ${describe(owner)} needs apiVersion, kind, metadata.name and metadata.uid (read it from the API server or the cache)`,
    );
  }
  return { apiVersion, kind, name, uid };
}

/** True when `a` and `b` name the same object (API group, kind, name; any version). */
function sameOwner(a: OwnerReference, b: OwnerReference): boolean {
  return groupOf(a.apiVersion) === groupOf(b.apiVersion) && a.kind === b.kind && a.name === b.name;
}

/**
 * Sets `owner` as the controller of `object` (in place): an owner reference with `controller: true`
 * and `blockOwnerDeletion: true`, replacing a reference to the same owner. With
 * controller-runtime's checks, each a `ReconcileError`: the owner must have a uid (`invalidArgument`);
 * a namespaced owner must be in the object's namespace, and a cluster-scoped object cannot have a
 * namespaced owner (`invalidArgument`: the garbage collector would delete the object); an object
 * controlled by another owner is `alreadyOwned`. An owner without a namespace counts as cluster-scoped.
 */
export function setControllerReference(owner: KubeObject, object: KubeObject): void {
  const reference: OwnerReference = { ...referenceTo(owner), controller: true, blockOwnerDeletion: true };
  const ownerNamespace = owner.metadata?.namespace ?? '';
  const objectNamespace = object.metadata?.namespace ?? '';
  if (ownerNamespace !== '') {
    if (objectNamespace === '') {
      throw new ReconcileError(
        'invalidArgument',
        `cluster-scoped ${describe(object)} cannot be owned by namespaced ${describe(owner)}`,
      );
    }
    if (objectNamespace !== ownerNamespace) {
      throw new ReconcileError(
        'invalidArgument',
        `cross-namespace owner references are disallowed: owner ${describe(owner)}, object ${describe(object)}`,
      );
    }
  }
  const references = object.metadata?.ownerReferences ?? [];
  const current = references.find((r) => r.controller === true);
  if (current !== undefined && !sameOwner(current, reference)) {
    throw new ReconcileError(
      'alreadyOwned',
      `${describe(object)} is already controlled by ${current.kind} ${current.name}; an object has one controller`,
    );
  }
  object.metadata = {
    ...object.metadata,
    ownerReferences: [...references.filter((r) => !sameOwner(r, reference)), reference],
  };
}

/** Adds (or updates) a plain owner reference to `owner` (not a controller) on `object`, in place. */
export function setOwnerReference(owner: KubeObject, object: KubeObject): void {
  const reference = referenceTo(owner);
  const references = object.metadata?.ownerReferences ?? [];
  const existing = references.find((r) => sameOwner(r, reference));
  const merged: OwnerReference =
    existing === undefined
      ? reference
      : { ...existing, apiVersion: reference.apiVersion, uid: reference.uid };
  object.metadata = {
    ...object.metadata,
    ownerReferences: [...references.filter((r) => !sameOwner(r, reference)), merged],
  };
}

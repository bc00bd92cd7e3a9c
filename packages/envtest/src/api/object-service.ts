import { wallClock } from '../wall-clock.js';
import { randomBytes, randomUUID } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store.js';
import { FieldSelector } from '../selectors/field-selector.js';
import { LabelSelector } from '../selectors/label-selector.js';
import { ApiError, invalidValue } from './api-error.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import type { StatusCause } from './api-error.js';
import { cloneJson, formatTime, isRecord, jsonEqual, objectKey } from './kube-object.js';
import type { KubeObject, ObjectMeta } from './kube-object.js';
import type { ResourceRegistry } from './resource-registry.js';
import type { ResourceType } from './resource-type.js';
import { validateDeletingUpdate, validateMetadata } from './validation.js';
import { customResourceDefinitions, namespaces, pods } from './builtin-resources.js';
import { trackCreate, trackServerWrite, trackUpdate } from '../apply/field-tracking.js';
import type { FieldManagement } from '../apply/field-tracking.js';
import { derivedForm } from '../storage/encoded-objects.js';

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

/** `DeleteOptions` of a DELETE request (body and query merged). */
export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: PropagationPolicy;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly dryRun?: boolean;
}

export interface ListOptions {
  readonly labelSelector?: LabelSelector;
  readonly fieldSelector?: FieldSelector;
  readonly limit?: number;
  readonly continueToken?: string;
}

export interface ListResult {
  readonly items: KubeObject[];
  readonly resourceVersion: string;
  readonly continueToken?: string;
  readonly remainingItemCount?: number;
}

export interface DeleteResult {
  /** The object as it is now (Terminating) or as it was when removed. */
  readonly object: KubeObject;
  /** True when the object is gone from storage. */
  readonly removed: boolean;
}

/** What the object service needs from the simulated kubelet. */
export interface PodTerminationHook {
  /** A Pod was deleted gracefully: confirm the deletion after `graceMs` if its node lives. */
  podTerminating(pod: KubeObject, graceMs: number): void;
}

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** Namespaces kube-apiserver refuses to delete (403). */
export const PROTECTED_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public']);

/** Labels every resource serves as field selectors. */
const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];

export function supportedFields(type: ResourceType): string[] {
  return [...COMMON_FIELDS, ...type.fieldLabels];
}

function generateSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

function isRemovable(meta: ObjectMeta): boolean {
  return (
    meta.deletionTimestamp !== undefined &&
    (meta.finalizers ?? []).length === 0 &&
    (meta.deletionGracePeriodSeconds ?? 0) === 0
  );
}

/** Everything of an object but metadata and status: what bumps `metadata.generation`. */
function specOf(object: KubeObject): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...object };
  delete rest['metadata'];
  delete rest['status'];
  delete rest['apiVersion'];
  delete rest['kind'];
  return rest;
}

/** True when an update would store `object` as `old` already is (resourceVersion aside). */
function isNoOp(object: KubeObject, old: KubeObject): boolean {
  const comparable = { ...old, metadata: { ...old.metadata } };
  delete comparable.metadata.resourceVersion;
  return jsonEqual(object, comparable);
}

/**
 * The API semantics of kube-apiserver's generic registry over the store: defaulting, validation,
 * optimistic concurrency, finalizers, graceful deletion. Every write of the server goes through it
 * (requests, the garbage collector, the simulated kubelet).
 */
export class ObjectService {
  readonly #store: ObjectStore;
  readonly #registry: ResourceRegistry;
  readonly #podHook: PodTerminationHook;
  readonly #defaultPodGraceMs: number;

  constructor(
    store: ObjectStore,
    registry: ResourceRegistry,
    podHook: PodTerminationHook,
    defaultPodGraceMs: number,
  ) {
    this.#store = store;
    this.#registry = registry;
    this.#podHook = podHook;
    this.#defaultPodGraceMs = defaultPodGraceMs;
  }

  get store(): ObjectStore {
    return this.#store;
  }

  get registry(): ResourceRegistry {
    return this.#registry;
  }

  /**
   * The object as a reader of `type`'s version sees it: converted from the storage form for types
   * that have one (events.k8s.io Events), else with that version's apiVersion.
   */
  view(type: ResourceType, object: KubeObject): KubeObject {
    const { fromStorage } = type;
    if (fromStorage === undefined && object.apiVersion === type.apiVersion) return object;
    const make = (): KubeObject =>
      fromStorage === undefined ? { ...object, apiVersion: type.apiVersion } : fromStorage(object);
    // A stored object's view is made once per version and type, so that its JSON is encoded once
    // as well; anything else (a dry run's answer) has nothing to keep it with.
    return Object.isFrozen(object) ? derivedForm(object, type, make) : make();
  }

  /** Stores a change of an object of `type`, in the storage form; answers the stored object as `type`'s. */
  #commit(
    type: ResourceType,
    key: string,
    kind: 'ADDED' | 'MODIFIED' | 'DELETED',
    object: KubeObject,
  ): KubeObject {
    const stored = type.toStorage === undefined ? object : type.toStorage(object);
    return this.view(type, this.#store.commit(type.storageId, key, kind, stored));
  }

  /** @throws ApiError 404 when absent. */
  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.#store.get(type.storageId, objectKey(type.namespaced ? namespace : undefined, name));
    if (!object) throw ApiError.notFound(type, name);
    return this.view(type, object);
  }

  find(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#store.get(type.storageId, objectKey(type.namespaced ? namespace : undefined, name));
  }

  /**
   * A list (or a page of one) in key order. The store keeps its objects sorted: a page starts at
   * its continue key by binary search, and without selectors nothing is looked at per object but
   * its view.
   */
  list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): ListResult {
    const labels = options.labelSelector ?? LabelSelector.everything;
    const fields = options.fieldSelector ?? FieldSelector.everything;
    let listRevision = this.#store.revision;
    let after: string | undefined;
    if (options.continueToken) {
      const token = decodeContinue(options.continueToken);
      listRevision = token.rv;
      after = token.start;
    }
    const all = this.#store.list(type.storageId, type.namespaced ? namespace : undefined, after);
    const limit = options.limit && options.limit > 0 ? options.limit : undefined;
    const selecting = !(labels.empty && fields.empty);
    let matching = all;
    if (selecting) {
      matching = [];
      for (const object of all) {
        if (!labels.matches(object.metadata.labels) || !fields.matches(this.view(type, object))) continue;
        matching.push(object);
        // One beyond the page tells that there is more (no remainingItemCount with selectors).
        if (limit !== undefined && matching.length > limit) break;
      }
    }
    const resourceVersion = String(listRevision);
    if (limit === undefined || matching.length <= limit) {
      return { items: this.#views(type, matching), resourceVersion };
    }
    const page = matching.slice(0, limit);
    const last = page[page.length - 1];
    const start = last ? objectKey(last.metadata.namespace, last.metadata.name ?? '') : '';
    const result: ListResult = {
      items: this.#views(type, page),
      resourceVersion,
      continueToken: encodeContinue({ rv: listRevision, start }),
    };
    return selecting ? result : { ...result, remainingItemCount: matching.length - limit };
  }

  /** `objects` as `type`'s readers see them (in place: the array is the caller's own copy). */
  #views(type: ResourceType, objects: KubeObject[]): KubeObject[] {
    for (let i = 0; i < objects.length; i++) {
      const object = objects[i];
      if (object !== undefined) objects[i] = this.view(type, object);
    }
    return objects;
  }

  #validate(type: ResourceType, object: KubeObject, old: KubeObject | undefined): void {
    const causes: StatusCause[] = [...validateMetadata(object, type.nameRule)];
    if (type.validate) causes.push(...type.validate(object, old));
    if (old) causes.push(...validateDeletingUpdate(object, old));
    if (causes.length > 0) throw ApiError.invalid(type, object.metadata.name ?? '', causes);
  }

  #checkNamespace(type: ResourceType, namespace: string | undefined): void {
    if (!type.namespaced) return;
    const ns = this.#store.get(namespaces.storageId, namespace ?? '');
    if (!ns) throw ApiError.notFound(namespaces, namespace ?? '');
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(
        403,
        'Forbidden',
        `${type.plural}${type.group ? `.${type.group}` : ''} is forbidden: unable to create new content in namespace ${namespace ?? ''} because it is being terminated`,
        {
          kind: type.plural,
          ...(type.group ? { group: type.group } : {}),
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace ?? ''} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  /**
   * Creates an object from a request body (already checked against the URL). With `owned`, the
   * caller hands over a fresh `body` that nobody else holds, and it becomes the stored object.
   * @throws ApiError 409 AlreadyExists, 422 Invalid, 404 for a missing namespace.
   */
  create(
    type: ResourceType,
    namespace: string | undefined,
    body: KubeObject,
    dryRun = false,
    owned = false,
    management?: FieldManagement,
  ): KubeObject {
    const object = owned ? body : cloneJson(body);
    object.apiVersion = type.apiVersion;
    object.kind = type.kind;
    const meta: ObjectMeta = isRecord(object.metadata) ? object.metadata : {};
    object.metadata = meta;
    if (meta.resourceVersion) {
      // etcd3 storage refuses it with a plain error, which kube-apiserver answers as a 500.
      throw new ApiError(500, '', 'resourceVersion should not be set on objects to be created');
    }
    if (type.custom) {
      const crd = this.#store.get(customResourceDefinitions.storageId, `${type.plural}.${type.group}`);
      if (crd?.metadata.deletionTimestamp) {
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'create not allowed while custom resource definition is terminating',
        );
      }
    }
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${generateSuffix()}`;
    if (type.namespaced) meta.namespace = namespace ?? '';
    else delete meta.namespace;
    type.normalize?.(object);
    this.#validate(type, object, undefined);
    const name = meta.name ?? '';
    const key = objectKey(meta.namespace, name);
    if (this.#store.get(type.storageId, key)) throw ApiError.alreadyExists(type, name);
    this.#checkNamespace(type, namespace);
    meta.uid = randomUUID();
    meta.creationTimestamp = formatTime(wallClock());
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (type.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    if (type.statusSubresource && !type.keepsStatusOnCreate) delete object['status'];
    type.prepareCreate?.(object);
    trackCreate(type, object, management);
    if (dryRun) return object;
    return this.#commit(type, key, 'ADDED', object);
  }

  /**
   * Replaces an object (PUT), or only its status when `subresource` is `status`. With `owned`, as
   * for `create`, a fresh `body` is stored without a copy. `management` names the field manager
   * whose changes managedFields record (none for the server's own writes, which keep them).
   * @returns the stored object and whether it was created (PUT of a missing Lease).
   * @throws ApiError 404, 409 Conflict on a stale resourceVersion, 422.
   */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    subresource: 'status' | undefined,
    dryRun = false,
    owned = false,
    management?: FieldManagement,
  ): { object: KubeObject; created: boolean } {
    const key = objectKey(type.namespaced ? namespace : undefined, name);
    const stored = this.#store.get(type.storageId, key);
    const old = stored === undefined || type.fromStorage === undefined ? stored : type.fromStorage(stored);
    const sentVersion = body.metadata.resourceVersion;
    if (!old) {
      if (!type.allowCreateOnUpdate || subresource) throw ApiError.notFound(type, name);
      const uid = body.metadata.uid;
      if (uid) {
        // The body's uid is a storage precondition: an update of a deleted object (sent with the
        // uid it had) conflicts instead of creating it again.
        const storageKey = `/registry/${type.plural}/${type.namespaced ? `${namespace ?? ''}/` : ''}${name}`;
        throw ApiError.conflict(
          type,
          name,
          `StorageError: invalid object, Code: 4, Key: ${storageKey}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${uid}, UID in object meta: `,
        );
      }
      const fresh = owned ? body : cloneJson(body);
      delete fresh.metadata.resourceVersion;
      return { object: this.create(type, namespace, fresh, dryRun, true, management), created: true };
    }
    if (!sentVersion && !type.allowUnconditionalUpdate) {
      throw ApiError.invalid(type, name, [
        invalidValue('metadata.resourceVersion', 0, 'must be specified for an update'),
      ]);
    }
    if (sentVersion && sentVersion !== old.metadata.resourceVersion)
      throw ApiError.staleResourceVersion(type, name);
    const sentUid = body.metadata.uid;
    if (sentUid && sentUid !== old.metadata.uid) {
      throw ApiError.conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${sentUid}, UID in object meta: ${old.metadata.uid ?? ''}`,
      );
    }
    let object: KubeObject;
    if (subresource === 'status') {
      object = cloneJson(old);
      object['status'] = cloneJson(body['status']);
      if (object['status'] === undefined) delete object['status'];
      if (management?.operation === 'Apply')
        object.metadata['managedFields'] = body.metadata['managedFields'];
      if (type.custom) {
        type.normalize?.(object);
        this.#validate(type, object, old);
      }
    } else {
      object = owned ? body : cloneJson(body);
      object.apiVersion = old.apiVersion;
      object.kind = type.kind;
      if (type.statusSubresource) {
        if (old['status'] === undefined) delete object['status'];
        else object['status'] = cloneJson(old['status']);
      }
      const meta = object.metadata;
      meta.name = name;
      if (type.namespaced) meta.namespace = old.metadata.namespace ?? '';
      else delete meta.namespace;
      meta.uid = old.metadata.uid ?? '';
      meta.creationTimestamp = old.metadata.creationTimestamp ?? '';
      if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
      else delete meta.deletionTimestamp;
      if (old.metadata.deletionGracePeriodSeconds !== undefined) {
        meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      } else delete meta.deletionGracePeriodSeconds;
      if (meta.generateName === undefined && old.metadata.generateName !== undefined) {
        meta.generateName = old.metadata.generateName;
      }
      type.prepareUpdate?.(object, old);
      type.normalize?.(object);
      if (type.tracksGeneration) {
        const generation = old.metadata.generation ?? 1;
        meta.generation = jsonEqual(specOf(object), specOf(old)) ? generation : generation + 1;
      } else delete meta.generation;
      this.#validate(type, object, old);
    }
    // A change the field tracking saw is a change: no second walk of both objects to rule out a no-op.
    const changed = trackUpdate(type, old, object, subresource, management);
    delete object.metadata.resourceVersion;
    if (!changed && isNoOp(object, old))
      return { object: type.fromStorage ? old : this.view(type, old), created: false };
    if (dryRun) {
      object.metadata.resourceVersion = old.metadata.resourceVersion ?? '';
      return { object, created: false };
    }
    if (isRemovable(object.metadata)) {
      return { object: this.#commit(type, key, 'DELETED', object), created: false };
    }
    return { object: this.#commit(type, key, 'MODIFIED', object), created: false };
  }

  /**
   * Deletes an object as kube-apiserver does: preconditions, graceful Pod deletion, finalizers
   * and the propagation policy's finalizer keep it (with deletionTimestamp) until they are done.
   * @throws ApiError 404, 409 when a precondition fails.
   */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): DeleteResult {
    if (type.storageId === namespaces.storageId && PROTECTED_NAMESPACES.has(name)) {
      // kube-apiserver's NamespaceLifecycle admission, before the object is even read.
      throw ApiError.forbiddenObject(type, name, 'this namespace may not be deleted');
    }
    const key = objectKey(type.namespaced ? namespace : undefined, name);
    const old = this.#store.get(type.storageId, key);
    if (!old) throw ApiError.notFound(type, name);
    const preconditions = options.preconditions;
    if (preconditions?.uid !== undefined && preconditions.uid !== old.metadata.uid) {
      throw ApiError.conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${old.metadata.uid ?? ''}`,
      );
    }
    if (
      preconditions?.resourceVersion !== undefined &&
      preconditions.resourceVersion !== old.metadata.resourceVersion
    ) {
      throw ApiError.conflict(
        type,
        name,
        `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion ?? ''}`,
      );
    }
    if (options.dryRun) return { object: this.view(type, old), removed: false };
    const object = cloneJson(old);
    const meta = object.metadata;
    const finalizers = [...(meta.finalizers ?? [])];
    if (options.propagationPolicy === 'Orphan' && !finalizers.includes(ORPHAN_FINALIZER)) {
      finalizers.push(ORPHAN_FINALIZER);
    }
    if (options.propagationPolicy === 'Foreground' && !finalizers.includes(FOREGROUND_FINALIZER)) {
      finalizers.push(FOREGROUND_FINALIZER);
    }
    if (finalizers.length > 0) meta.finalizers = finalizers;

    if (type.storageId === namespaces.storageId) {
      // The namespace controller (in the garbage collector) empties it, then removes it.
      if (meta.deletionTimestamp) return { object: this.view(type, old), removed: false };
      meta.deletionTimestamp = formatTime(wallClock());
      meta.deletionGracePeriodSeconds = 0;
      object['status'] = { ...(isRecord(object['status']) ? object['status'] : {}), phase: 'Terminating' };
      return {
        object: this.view(type, this.#store.commit(type.storageId, key, 'MODIFIED', object)),
        removed: false,
      };
    }

    let graceMs = 0;
    if (type.storageId === pods.storageId) graceMs = this.#podGraceMs(old, options.gracePeriodSeconds);
    if (meta.deletionTimestamp) {
      // Already being deleted: only a shorter grace period (a force delete) changes anything.
      const current = (meta.deletionGracePeriodSeconds ?? 0) * 1000;
      if (graceMs === 0 && current > 0) meta.deletionGracePeriodSeconds = 0;
      else if (jsonEqual(meta.finalizers ?? [], old.metadata.finalizers ?? [])) {
        return { object: this.view(type, old), removed: false };
      }
    } else {
      const graceSeconds = Math.ceil(graceMs / 1000);
      meta.deletionTimestamp = formatTime(wallClock() + graceSeconds * 1000);
      meta.deletionGracePeriodSeconds = graceSeconds;
    }
    if (isRemovable(meta)) {
      return {
        object: this.view(type, this.#store.commit(type.storageId, key, 'DELETED', object)),
        removed: true,
      };
    }
    const stored = this.#store.commit(type.storageId, key, 'MODIFIED', object);
    if (graceMs > 0 && !old.metadata.deletionTimestamp) this.#podHook.podTerminating(stored, graceMs);
    return { object: this.view(type, stored), removed: false };
  }

  /** The grace period of a Pod delete, in ms: 0 for unscheduled or finished Pods. */
  #podGraceMs(pod: KubeObject, requested: number | undefined): number {
    const spec = isRecord(pod['spec']) ? pod['spec'] : {};
    const status = isRecord(pod['status']) ? pod['status'] : {};
    if (!spec['nodeName']) return 0;
    if (status['phase'] === 'Failed' || status['phase'] === 'Succeeded')
      return requested === undefined ? 0 : requested * 1000;
    if (requested !== undefined) return Math.max(0, requested) * 1000;
    const fromSpec = spec['terminationGracePeriodSeconds'];
    if (typeof fromSpec === 'number') return Math.max(0, fromSpec) * 1000;
    return this.#defaultPodGraceMs;
  }

  /** Removes a finalizer (the garbage collector's own); removes the object if it was the last. */
  removeFinalizer(type: ResourceType, object: KubeObject, finalizer: string): void {
    const current = this.find(type, object.metadata.namespace, object.metadata.name ?? '');
    if (!current || current.metadata.uid !== object.metadata.uid) return;
    if (!current.metadata.finalizers?.includes(finalizer)) return;
    const updated = cloneJson(current);
    const remaining = (updated.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (remaining.length > 0) updated.metadata.finalizers = remaining;
    else delete updated.metadata.finalizers;
    trackServerWrite(type, current, updated);
    const key = objectKey(current.metadata.namespace, current.metadata.name ?? '');
    this.#store.commit(type.storageId, key, isRemovable(updated.metadata) ? 'DELETED' : 'MODIFIED', updated);
  }

  /** Writes a changed copy of a stored object without the checks of a request (cluster control). */
  write(type: ResourceType, object: KubeObject): KubeObject {
    const key = objectKey(object.metadata.namespace, object.metadata.name ?? '');
    const old = this.#store.get(type.storageId, key);
    if (old !== undefined) trackServerWrite(type, old, object);
    return this.#store.commit(type.storageId, key, 'MODIFIED', object);
  }

  /** Removes an object at once, whatever its finalizers (CRD cleanup, namespace cleanup). */
  purge(type: ResourceType, object: KubeObject): void {
    const key = objectKey(object.metadata.namespace, object.metadata.name ?? '');
    if (!this.#store.get(type.storageId, key)) return;
    this.#store.commit(type.storageId, key, 'DELETED', cloneJson(object));
  }
}

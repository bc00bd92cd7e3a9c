import { clearTimeout, setTimeout } from 'node:timers';
import { namespaces } from '../api/builtin-resources.js';
import { cloneJson, isRecord } from '../api/kube-object.js';
import type { KubeObject, OwnerReference } from '../api/kube-object.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from '../api/object-service.js';
import type { ObjectService } from '../api/object-service.js';
import type { ResourceType } from '../api/resource-type.js';
import type { StoreEvent } from '../storage/object-store.js';

function ownerRefs(object: KubeObject): OwnerReference[] {
  const refs: unknown = object.metadata.ownerReferences;
  return Array.isArray(refs)
    ? refs.filter((ref): ref is OwnerReference => isRecord(ref) && typeof ref['uid'] === 'string')
    : [];
}

function sameRefs(a: KubeObject | undefined, b: KubeObject): boolean {
  if (!a) return ownerRefs(b).length === 0;
  return JSON.stringify(ownerRefs(a).map((r) => r.uid)) === JSON.stringify(ownerRefs(b).map((r) => r.uid));
}

/**
 * kube-controller-manager's garbage collector and namespace controller, over the store:
 * - deletes (in the background, after `delayMs`) dependents whose owner references are all
 *   dangling, the owner being absent or present with another UID;
 * - finishes `Foreground` deletions (dependents first) and `Orphan` deletions (owner references
 *   removed from the dependents) by removing their finalizers;
 * - empties a namespace being deleted, then removes it.
 * Work runs on timers owned by the collector; `stop()` cancels all of it.
 */
export class GarbageCollector {
  readonly #service: ObjectService;
  readonly #delayMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  #unsubscribe: (() => void) | undefined;

  constructor(service: ObjectService, delayMs: number) {
    this.#service = service;
    this.#delayMs = delayMs;
  }

  start(): void {
    this.#unsubscribe = this.#service.store.subscribeAll((event) => {
      this.#observe(event);
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #schedule(delayMs: number, work: () => void): void {
    if (!this.#unsubscribe) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      try {
        work();
      } catch {
        // The object changed under us; the event of that change schedules the work again.
      }
    }, delayMs);
    this.#timers.add(timer);
  }

  #observe(event: StoreEvent): void {
    const object = event.object;
    const namespace = object.metadata.namespace;
    if (event.type === 'DELETED') {
      this.#schedule(this.#delayMs, () => {
        this.#collectDependentsOf(object);
      });
      if (ownerRefs(object).length > 0) {
        this.#schedule(0, () => {
          this.#recheckForegroundOwners(object);
        });
      }
      if (namespace) {
        this.#schedule(0, () => {
          this.#finishNamespace(namespace);
        });
      }
      return;
    }
    if (
      !object.metadata.deletionTimestamp &&
      ownerRefs(object).length > 0 &&
      !sameRefs(event.previous, object)
    ) {
      this.#schedule(this.#delayMs, () => {
        this.#collectIfOrphaned(object);
      });
    }
    if (!object.metadata.deletionTimestamp) return;
    if (event.storageId === namespaces.storageId && !event.previous?.metadata.deletionTimestamp) {
      this.#schedule(0, () => {
        this.#emptyNamespace(object.metadata.name ?? '');
      });
    }
    const finalizers = object.metadata.finalizers ?? [];
    if (finalizers.includes(ORPHAN_FINALIZER)) {
      this.#schedule(0, () => {
        this.#orphan(object);
      });
    }
    if (finalizers.includes(FOREGROUND_FINALIZER)) {
      this.#schedule(0, () => {
        this.#foreground(object);
      });
    }
  }

  #typeOf(ref: OwnerReference): ResourceType | undefined {
    return this.#service.registry.byKind(ref.apiVersion, ref.kind);
  }

  /** True when the owner is absent or has another UID; false when present or unresolvable. */
  #dangling(ref: OwnerReference, namespace: string | undefined): boolean {
    const type = this.#typeOf(ref);
    if (!type) return false;
    const owner = this.#service.find(type, namespace, ref.name);
    return owner?.metadata.uid !== ref.uid;
  }

  /** Every stored object whose owner references name `uid`, with its type. */
  #dependentsOf(owner: KubeObject): [ResourceType, KubeObject][] {
    const uid = owner.metadata.uid;
    const found: [ResourceType, KubeObject][] = [];
    for (const type of this.#service.registry.storages()) {
      if (owner.metadata.namespace && !type.namespaced) continue;
      const candidates = this.#service.store.scan(
        type.storageId,
        type.namespaced ? owner.metadata.namespace : undefined,
      );
      for (const object of candidates) {
        if (ownerRefs(object).some((ref) => ref.uid === uid)) found.push([type, object]);
      }
    }
    return found;
  }

  #collectIfOrphaned(object: KubeObject, type?: ResourceType): void {
    const current = type ?? this.#service.registry.byKind(object.apiVersion, object.kind);
    if (!current) return;
    const stored = this.#service.find(current, object.metadata.namespace, object.metadata.name ?? '');
    if (!stored || stored.metadata.uid !== object.metadata.uid || stored.metadata.deletionTimestamp) return;
    const refs = ownerRefs(stored);
    if (refs.length === 0 || !refs.every((ref) => this.#dangling(ref, stored.metadata.namespace))) return;
    this.#service.delete(current, stored.metadata.namespace, stored.metadata.name ?? '', {
      propagationPolicy: 'Background',
      preconditions: { uid: stored.metadata.uid ?? '' },
    });
  }

  #collectDependentsOf(owner: KubeObject): void {
    for (const [type, dependent] of this.#dependentsOf(owner)) {
      try {
        this.#collectIfOrphaned(dependent, type);
      } catch {
        // Changed meanwhile; its own event rechecks it.
      }
    }
  }

  #recheckForegroundOwners(dependent: KubeObject): void {
    for (const ref of ownerRefs(dependent)) {
      const type = this.#typeOf(ref);
      if (!type) continue;
      const owner = this.#service.find(type, dependent.metadata.namespace, ref.name);
      if (owner?.metadata.uid === ref.uid && owner.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) {
        this.#foreground(owner);
      }
    }
  }

  #foreground(owner: KubeObject): void {
    const type = this.#service.registry.byKind(owner.apiVersion, owner.kind);
    if (!type) return;
    const dependents = this.#dependentsOf(owner);
    if (dependents.length === 0) {
      this.#service.removeFinalizer(type, owner, FOREGROUND_FINALIZER);
      return;
    }
    for (const [dependentType, dependent] of dependents) {
      if (dependent.metadata.deletionTimestamp) continue;
      this.#service.delete(dependentType, dependent.metadata.namespace, dependent.metadata.name ?? '', {
        propagationPolicy: 'Background',
        preconditions: { uid: dependent.metadata.uid ?? '' },
      });
    }
  }

  #orphan(owner: KubeObject): void {
    const type = this.#service.registry.byKind(owner.apiVersion, owner.kind);
    if (!type) return;
    for (const [dependentType, dependent] of this.#dependentsOf(owner)) {
      const updated = cloneJson(dependent);
      const remaining = ownerRefs(updated).filter((ref) => ref.uid !== owner.metadata.uid);
      if (remaining.length > 0) updated.metadata.ownerReferences = remaining;
      else delete updated.metadata.ownerReferences;
      this.#service.write(dependentType, updated);
    }
    this.#service.removeFinalizer(type, owner, ORPHAN_FINALIZER);
  }

  #emptyNamespace(namespace: string): void {
    for (const type of this.#service.registry.storages()) {
      if (!type.namespaced) continue;
      for (const object of this.#service.store.scan(type.storageId, namespace)) {
        if (object.metadata.deletionTimestamp) continue;
        try {
          this.#service.delete(type, namespace, object.metadata.name ?? '', {
            propagationPolicy: 'Background',
          });
        } catch {
          // Gone meanwhile.
        }
      }
    }
    this.#finishNamespace(namespace);
  }

  #finishNamespace(namespace: string): void {
    const ns = this.#service.find(namespaces, undefined, namespace);
    if (!ns?.metadata.deletionTimestamp) return;
    const empty = this.#service.registry
      .storages()
      .every((type) => !type.namespaced || this.#service.store.scan(type.storageId, namespace).length === 0);
    if (empty) this.#service.purge(namespaces, ns);
  }
}

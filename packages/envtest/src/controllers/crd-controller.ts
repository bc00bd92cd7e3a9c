import { clearTimeout, setTimeout } from 'node:timers';
import { customResourceDefinitions } from '../api/builtin-resources.js';
import { CRD_CLEANUP_FINALIZER, crdResourceTypes } from '../api/custom-resources.js';
import { cloneJson, formatTime, isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import type { ObjectService } from '../api/object-service.js';
import type { ResourceType } from '../api/resource-type.js';
import { wallClock } from '../wall-clock.js';

/**
 * apiextensions-apiserver in miniature: a CRD starts serving its resources as soon as it is
 * stored (so the next request can use them). Its deletion goes through Terminating: the
 * `customresourcecleanup.apiextensions.k8s.io` finalizer keeps it while every custom object is
 * deleted (each with a DELETED watch event) and the open watches of its resources end; then the
 * finalizer goes, the CRD is removed and its resources stop being served.
 */
export class CrdController {
  readonly #service: ObjectService;
  readonly #endWatches: (storageId: string) => void;
  readonly #served = new Map<string, ResourceType[]>();
  readonly #cleaning = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #unsubscribe: (() => void) | undefined;

  constructor(service: ObjectService, endWatches: (storageId: string) => void) {
    this.#service = service;
    this.#endWatches = endWatches;
  }

  start(): void {
    this.#unsubscribe = this.#service.store.subscribe(customResourceDefinitions.storageId, (event) => {
      const name = event.object.metadata.name ?? '';
      const registry = this.#service.registry;
      if (event.type === 'DELETED') {
        const old = this.#served.get(name) ?? crdResourceTypes(event.object);
        this.#served.delete(name);
        this.#later(() => {
          // Objects left by a removal that skipped the finalizer (a forced purge) go too.
          this.#purge(old);
          for (const type of old) registry.remove(type);
        });
        return;
      }
      for (const type of this.#served.get(name) ?? []) registry.remove(type);
      const types = crdResourceTypes(event.object);
      for (const type of types) registry.add(type);
      this.#served.set(name, types);
      const meta = event.object.metadata;
      if (
        meta.deletionTimestamp &&
        meta.finalizers?.includes(CRD_CLEANUP_FINALIZER) &&
        !this.#cleaning.has(name)
      ) {
        this.#cleaning.add(name);
        this.#later(() => {
          this.#cleanUp(name, types);
        });
      }
    });
  }

  #later(task: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      task();
    }, 0);
    this.#timers.add(timer);
  }

  #purge(types: readonly ResourceType[]): void {
    const first = types[0];
    if (!first) return;
    for (const object of this.#service.store.list(first.storageId)) this.#service.purge(first, object);
    this.#endWatches(first.storageId);
    this.#service.store.drop(first.storageId);
  }

  #cleanUp(name: string, types: readonly ResourceType[]): void {
    const crd = this.#service.find(customResourceDefinitions, undefined, name);
    if (crd === undefined) {
      this.#cleaning.delete(name);
      return;
    }
    this.#service.write(
      customResourceDefinitions,
      withCondition(crd, 'InstanceDeletionInProgress', 'CustomResource deletion is in progress'),
    );
    this.#purge(types);
    const current = this.#service.find(customResourceDefinitions, undefined, name);
    if (current !== undefined) {
      this.#service.write(
        customResourceDefinitions,
        withCondition(current, 'InstanceDeletionCompleted', 'removed all instances'),
      );
      const latest = this.#service.find(customResourceDefinitions, undefined, name);
      if (latest !== undefined)
        this.#service.removeFinalizer(customResourceDefinitions, latest, CRD_CLEANUP_FINALIZER);
    }
    this.#cleaning.delete(name);
  }

  stop(): void {
    this.#unsubscribe?.();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

/** A copy of a CRD with its `Terminating` condition set. */
function withCondition(crd: KubeObject, reason: string, message: string): KubeObject {
  const copy = cloneJson(crd);
  const status = isRecord(copy['status']) ? copy['status'] : {};
  const conditions: unknown[] = Array.isArray(status['conditions']) ? status['conditions'] : [];
  const others = conditions.filter(
    (condition) => !isRecord(condition) || condition['type'] !== 'Terminating',
  );
  status['conditions'] = [
    ...others,
    { type: 'Terminating', status: 'True', lastTransitionTime: formatTime(wallClock()), reason, message },
  ];
  copy['status'] = status;
  return copy;
}

import { clearTimeout, setTimeout } from 'node:timers';
import { customResourceDefinitions } from '../api/builtin-resources.js';
import { crdResourceTypes } from '../api/custom-resources.js';
import type { ObjectService } from '../api/object-service.js';
import type { ResourceType } from '../api/resource-type.js';

/**
 * apiextensions-apiserver in miniature: a CRD starts serving its resources as soon as it is
 * stored (so the next request can use them), and its deletion removes every custom object
 * (each with a DELETED watch event) before the resources stop being served.
 */
export class CrdController {
  readonly #service: ObjectService;
  readonly #served = new Map<string, ResourceType[]>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #unsubscribe: (() => void) | undefined;

  constructor(service: ObjectService) {
    this.#service = service;
  }

  start(): void {
    this.#unsubscribe = this.#service.store.subscribe(customResourceDefinitions.storageId, (event) => {
      const name = event.object.metadata.name ?? '';
      const registry = this.#service.registry;
      for (const type of this.#served.get(name) ?? []) registry.remove(type);
      this.#served.delete(name);
      if (event.type === 'DELETED') {
        const old = crdResourceTypes(event.object);
        for (const type of old) registry.add(type);
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#cleanUp(name, old);
        }, 0);
        this.#timers.add(timer);
        return;
      }
      const types = crdResourceTypes(event.object);
      for (const type of types) registry.add(type);
      this.#served.set(name, types);
    });
  }

  #cleanUp(name: string, types: readonly ResourceType[]): void {
    const first = types[0];
    if (first) {
      for (const object of this.#service.store.list(first.storageId)) this.#service.purge(first, object);
      this.#service.store.drop(first.storageId);
    }
    if (!this.#served.has(name)) for (const type of types) this.#service.registry.remove(type);
  }

  stop(): void {
    this.#unsubscribe?.();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

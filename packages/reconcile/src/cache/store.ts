import type { KubeObject } from '@kubekit/client';
import { ReconcileError } from '../reconcile-error.js';
import { objectKey } from './object-key.js';

/** Values an object is found under in one index (e.g. its namespace, its owners' UIDs). */
export type IndexFunction<T extends KubeObject = KubeObject> = (object: T) => readonly string[];

/** The index every informer keeps: objects by `metadata.namespace` (`''` for cluster-scoped). */
export const NAMESPACE_INDEX = 'namespace';
/** The index every informer keeps: objects by the UID of each of their owner references. */
export const OWNER_UID_INDEX = 'ownerUid';

const none: readonly string[] = Object.freeze([]);

const builtInIndexes: Record<string, IndexFunction> = {
  [NAMESPACE_INDEX]: (object) => [object.metadata?.namespace ?? ''],
  [OWNER_UID_INDEX]: (object) => object.metadata?.ownerReferences?.map((owner) => owner.uid) ?? none,
};

interface Index<T extends KubeObject> {
  readonly fn: IndexFunction<T>;
  readonly keys: Map<string, Set<string>>;
}

/** Objects by key, with indexes kept up to date on every change. Owned by one informer. */
export class Store<T extends KubeObject> {
  readonly #objects = new Map<string, T>();
  readonly #indexes = new Map<string, Index<T>>();

  /** The one namespace every object is in, when the store is scoped to it. */
  readonly #namespace: string | undefined;

  /**
   * `namespace`: every object is in this namespace, so the namespace index needs no entries
   * (it answers every object for that namespace, none for others).
   */
  constructor(indexers: Readonly<Record<string, IndexFunction<T>>> = {}, namespace?: string) {
    this.#namespace = namespace;
    for (const [name, fn] of Object.entries({ ...builtInIndexes, ...indexers })) {
      if (name === NAMESPACE_INDEX && namespace !== undefined && !(name in indexers)) continue;
      this.#indexes.set(name, { fn, keys: new Map() });
    }
  }

  get size(): number {
    return this.#objects.size;
  }

  get(key: string): T | undefined {
    return this.#objects.get(key);
  }

  values(): IterableIterator<T> {
    return this.#objects.values();
  }

  entries(): IterableIterator<[string, T]> {
    return this.#objects.entries();
  }

  /** Stores `object` under its key; returns the object it replaced. */
  upsert(object: T, key = objectKey(object)): T | undefined {
    const old = this.#objects.get(key);
    this.#objects.set(key, object);
    for (const index of this.#indexes.values()) {
      if (old !== undefined) this.#unindex(index, old, key);
      for (const value of index.fn(object)) {
        let keys = index.keys.get(value);
        if (keys === undefined) {
          keys = new Set();
          index.keys.set(value, keys);
        }
        keys.add(key);
      }
    }
    return old;
  }

  /** Removes the object under `key`; returns it. */
  delete(key: string): T | undefined {
    const old = this.#objects.get(key);
    if (old === undefined) return undefined;
    this.#objects.delete(key);
    for (const index of this.#indexes.values()) this.#unindex(index, old, key);
    return old;
  }

  /** The objects an index lists under `value`. */
  byIndex(name: string, value: string): T[] {
    const index = this.#indexes.get(name);
    if (index === undefined && name === NAMESPACE_INDEX && this.#namespace !== undefined) {
      return value === this.#namespace ? [...this.#objects.values()] : [];
    }
    if (index === undefined) {
      throw new ReconcileError(
        'invalidArgument',
        `no index named ${JSON.stringify(name)}; known: ${[NAMESPACE_INDEX, ...this.#indexes.keys()].filter((n, i, all) => all.indexOf(n) === i).join(', ')}`,
      );
    }
    const found: T[] = [];
    for (const key of index.keys.get(value) ?? []) {
      const object = this.#objects.get(key);
      if (object !== undefined) found.push(object);
    }
    return found;
  }

  #unindex(index: Index<T>, object: T, key: string): void {
    for (const value of index.fn(object)) {
      const keys = index.keys.get(value);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) index.keys.delete(value);
    }
  }
}

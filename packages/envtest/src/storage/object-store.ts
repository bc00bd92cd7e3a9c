import { ApiError } from '../api/api-error.js';
import type { KubeObject } from '../api/kube-object.js';
import { forgetEncoding } from './encoded-objects.js';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change. `object` carries the resourceVersion of the change. */
export interface StoreEvent {
  readonly type: StoreEventType;
  readonly storageId: string;
  readonly key: string;
  readonly object: KubeObject;
  /** The object before the change (absent for ADDED). */
  readonly previous: KubeObject | undefined;
  readonly resourceVersion: number;
}

export type StoreListener = (event: StoreEvent) => void;

/** The first position in sorted `keys` whose key is not below `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((keys[mid] ?? '') < key) low = mid + 1;
    else high = mid;
  }
  return low;
}

class Bucket {
  readonly objects = new Map<string, KubeObject>();
  /**
   * The keys in order, and the objects at the same positions: lists and pages (a binary search for
   * a continue key or a namespace) without sorting or filtering the whole resource each time.
   */
  readonly keys: string[] = [];
  readonly sorted: KubeObject[] = [];
  readonly history: StoreEvent[] = [];
  /** Watches from a resourceVersion below this are too old (410 Expired). */
  compactedRevision = 0;
  readonly listeners = new Set<StoreListener>();
}

/**
 * Versioned in-memory storage, as etcd behind kube-apiserver: one global revision counter
 * (the resourceVersion), one bucket of objects per resource, and a bounded history of changes
 * per resource from which watches resume. Stored objects are immutable and frozen: a change
 * commits a fresh copy, so the JSON of a stored object (see `encoded-objects.ts`) is encoded once
 * per version.
 */
export class ObjectStore {
  readonly #buckets = new Map<string, Bucket>();
  readonly #listeners = new Set<StoreListener>();
  readonly #historySize: number;
  #revision = 0;

  constructor(historySize: number) {
    this.#historySize = historySize;
  }

  /** The resourceVersion of the last change, as lists report it. */
  get revision(): number {
    return this.#revision;
  }

  #bucket(storageId: string): Bucket {
    let bucket = this.#buckets.get(storageId);
    if (!bucket) {
      bucket = new Bucket();
      this.#buckets.set(storageId, bucket);
    }
    return bucket;
  }

  get(storageId: string, key: string): KubeObject | undefined {
    return this.#buckets.get(storageId)?.objects.get(key);
  }

  /**
   * The objects of a resource (of one namespace if given) in key order, as etcd lists them; after
   * `after` only (a continue key) when given. A copy: the caller may change the store meanwhile.
   */
  list(storageId: string, namespace?: string, after?: string): KubeObject[] {
    const bucket = this.#buckets.get(storageId);
    if (!bucket) return [];
    const keys = bucket.keys;
    let start = 0;
    let end = keys.length;
    if (namespace !== undefined) {
      // Keys are `namespace/name`: a namespace's keys are the range [`ns/`, `ns0`) ('0' follows '/').
      start = lowerBound(keys, `${namespace}/`);
      end = lowerBound(keys, `${namespace}0`);
    }
    if (after !== undefined) {
      let position = lowerBound(keys, after);
      if (keys[position] === after) position += 1;
      start = Math.max(start, position);
    }
    return start >= end ? [] : bucket.sorted.slice(start, end);
  }

  /** Every object of a resource (of one namespace if given), as a copy: for scans. */
  scan(storageId: string, namespace?: string): KubeObject[] {
    return this.list(storageId, namespace);
  }

  /**
   * Stores a change: gives `object` the next resourceVersion, records it in the history and tells
   * every listener, synchronously. `object` must be a fresh copy nobody else holds; it (and its
   * metadata) is frozen from then on.
   */
  commit(storageId: string, key: string, type: StoreEventType, object: KubeObject): KubeObject {
    const bucket = this.#bucket(storageId);
    const previous = bucket.objects.get(key);
    this.#revision += 1;
    object.metadata.resourceVersion = String(this.#revision);
    // Frozen (the object and its metadata; deeper parts are left as they are, freezing them costs
    // more than it guards): stored objects are immutable, their cached JSON cannot go stale.
    Object.freeze(object.metadata);
    Object.freeze(object);
    const position = lowerBound(bucket.keys, key);
    const present = bucket.keys[position] === key;
    if (type === 'DELETED') {
      bucket.objects.delete(key);
      if (present) {
        bucket.keys.splice(position, 1);
        bucket.sorted.splice(position, 1);
      }
    } else {
      bucket.objects.set(key, object);
      if (present) bucket.sorted[position] = object;
      else {
        bucket.keys.splice(position, 0, key);
        bucket.sorted.splice(position, 0, object);
      }
    }
    const event: StoreEvent = { type, storageId, key, object, previous, resourceVersion: this.#revision };
    bucket.history.push(event);
    // Trimmed in batches (amortised O(1)): between historySize and 1.5 × historySize are kept.
    if (bucket.history.length > this.#historySize + (this.#historySize >> 1)) {
      const dropped = bucket.history.splice(0, bucket.history.length - this.#historySize);
      const last = dropped[dropped.length - 1];
      if (last) bucket.compactedRevision = last.resourceVersion;
    }
    for (const listener of bucket.listeners) listener(event);
    for (const listener of this.#listeners) listener(event);
    // Every watcher has its line by now (listeners run synchronously): only the current version
    // of each object keeps its JSON. A watch resuming from the history encodes older ones again.
    if (previous !== undefined) forgetEncoding(previous);
    if (type === 'DELETED') forgetEncoding(object);
    return object;
  }

  /** Removes every object of a resource at once (a CRD was deleted), without events. */
  drop(storageId: string): void {
    this.#buckets.delete(storageId);
  }

  /**
   * The changes of a resource after `revision`, oldest first.
   * @throws ApiError 410 Expired when the history no longer reaches back to `revision`.
   */
  changesSince(storageId: string, revision: number): StoreEvent[] {
    const bucket = this.#bucket(storageId);
    if (revision < bucket.compactedRevision) {
      throw ApiError.expired(`too old resource version: ${revision} (${bucket.compactedRevision + 1})`);
    }
    const history = bucket.history;
    let low = 0;
    let high = history.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((history[mid]?.resourceVersion ?? 0) <= revision) low = mid + 1;
      else high = mid;
    }
    return history.slice(low);
  }

  /** Forgets every resource's history up to now, as an etcd compaction does. */
  compact(): void {
    for (const bucket of this.#buckets.values()) {
      bucket.history.length = 0;
      bucket.compactedRevision = this.#revision;
    }
  }

  /** Calls `listener` for every change of one resource; returns the unsubscribe function. */
  subscribe(storageId: string, listener: StoreListener): () => void {
    const bucket = this.#bucket(storageId);
    bucket.listeners.add(listener);
    return () => bucket.listeners.delete(listener);
  }

  /** Calls `listener` for every change of every resource; returns the unsubscribe function. */
  subscribeAll(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

import type { Clock } from '@kubekit/client';
import type { Registry } from 'prom-client';
import type { RateLimiter } from './rate-limiter.js';

/** Priority of items from an initial list or a resync (controller-runtime's `LowPriority`). */
export const LOW_PRIORITY = -100;

/** Options of {@link WorkQueue.add}. */
export interface AddOptions {
  /**
   * Higher is served first; default 0. Use {@link LOW_PRIORITY} for items that come from an
   * initial list or a resync, so live changes overtake them. Adding an item already waiting
   * with a higher priority raises it; a lower one never lowers it.
   */
  readonly priority?: number;
}

/** Options of {@link createWorkQueue}. */
export interface WorkQueueOptions<K = string> {
  /** The `name` (and `controller`) label of the queue's metrics. Required when metrics are on. */
  readonly name?: string;
  /** Time source for delays, metrics and aging. Default the system's monotonic clock. */
  readonly clock?: Clock;
  /** Used by `addRateLimited`. Default client-go's controller default (5 ms → 1000 s, 10 qps / 100). */
  readonly rateLimiter?: RateLimiter<K>;
  /**
   * Where controller-runtime's `workqueue_*` metrics go: a prom-client `Registry`, or `null` for
   * none. Default `null`. Queues sharing a registry share the metrics, one series per `name`.
   */
  readonly metrics?: Registry | null;
  /**
   * Aging: an item that has waited this long (ms) is served before younger items of any higher
   * priority, so low-priority items cannot starve under a constant flow of live changes. Default
   * 10,000; `Infinity` for strict priority.
   */
  readonly maxWaitMs?: number;
}

/**
 * A deduplicating work queue, as client-go's `TypedRateLimitingInterface` with
 * controller-runtime's priorities. An item is at most once in the queue (a second `add` while
 * it waits is absorbed) and never handed out twice concurrently: an item added while it is being
 * processed waits until `done`, then is queued again. Items are served by priority, first in
 * first out within one priority, and no item waits more than about `maxWaitMs` behind others.
 */
export interface WorkQueue<K = string> {
  /** Queues `key` (unless already waiting). Ignored after shutdown. */
  add(key: K, options?: AddOptions): void;
  /** Queues `key` after `delayMs` (at once when ≤ 0); the earliest pending delay of a key wins. */
  addAfter(key: K, delayMs: number, options?: AddOptions): void;
  /** Queues `key` after the delay the rate limiter gives for one more failure of it. */
  addRateLimited(key: K, options?: AddOptions): void;
  /** Clears the rate limiter's failure history of `key` (call it when `key` succeeded). */
  forget(key: K): void;
  /** How many failures of `key` the rate limiter counts. */
  numRequeues(key: K): number;
  /**
   * Resolves with the next item, waiting for one if needed; the caller must call `done(key)`
   * when finished with it. Resolves `undefined` when the queue is shut down and empty, or when
   * `signal` aborts (then nothing was taken). After `shutDown` it still hands out the items
   * already queued.
   */
  get(signal?: AbortSignal): Promise<K | undefined>;
  /** Marks `key` as processed; if it was added meanwhile it is queued again. */
  done(key: K): void;
  /** Stops accepting items, drops pending delays, and wakes every waiting `get` (with `undefined` once empty). */
  shutDown(): void;
  /**
   * `shutDown`, then resolves once every item handed out has been marked `done` (or when `signal`
   * aborts). Items still queued are not waited for.
   */
  shutDownWithDrain(signal?: AbortSignal): Promise<void>;
  /** True once `shutDown` was called. */
  shuttingDown(): boolean;
  /** How many items wait to be handed out (not counting delayed ones or those being processed). */
  len(): number;
}

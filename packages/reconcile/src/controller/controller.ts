import type { Clock, KubeObject } from '@kubekit/client';
import type {
  LeaderElectionRunnable,
  Manager,
  RestartableRunnable,
  Runnable,
  RunnableContext,
} from '@kubekit/manager';
import type { Registry } from 'prom-client';
import type { Cache } from '../cache/cache.js';
import type { RateLimiter } from '../queue/rate-limiter.js';
import type { Reconciler } from '../reconciler.js';
import type { EventHandler } from './handler.js';
import type { Predicate } from './predicate.js';
import type { Source } from './source.js';

/** The Manager's logger interface (pino's method shapes). */
export type Logger = ReturnType<Manager['getLogger']>;

/** Options of {@link createController}. */
export interface ControllerOptions {
  /** The controller's name: its queue's and metrics' `controller` label, and in logs. */
  readonly name: string;
  readonly reconciler: Reconciler;
  /** Where kind sources find their informers. Required when a kind source is watched. */
  readonly cache?: Cache | undefined;
  /** Workers reconciling in parallel (never the same request twice at once). Default 1. */
  readonly maxConcurrentReconciles?: number;
  /** A reconcile's signal aborts after this many ms (then it counts as an error). Default: no timeout. */
  readonly reconcileTimeoutMs?: number;
  /** The queue's rate limiter for failed requests. Default client-go's (5 ms → 1000 s per item, 10 qps / 100). */
  readonly rateLimiter?: RateLimiter;
  /** Time for the queue's delays and the reconcile timeout. Default the system's monotonic clock. */
  readonly clock?: Clock;
  /** Where the `controller_runtime_*` and `workqueue_*` metrics go; `null` for none (default). */
  readonly metrics?: Registry | null;
  /** Default: logs nothing. */
  readonly logger?: Logger;
  /** Wait for every source to sync before the workers start (default true). */
  readonly waitForSync?: boolean;
  /**
   * controller-runtime's `UsePriorityQueue`: objects of an initial list or a resync are queued at
   * `LOW_PRIORITY`, so live changes overtake them. Default true; false serves every request in
   * arrival order.
   */
  readonly usePriorityQueue?: boolean;
  /**
   * Aging of the priority queue: a request that has waited this long (ms) is served before younger
   * requests of any higher priority, so the initial list cannot starve under a constant flow of live
   * changes. Default 10,000; `Infinity` for strict priority. Only with `usePriorityQueue`.
   */
  readonly priorityQueueMaxWaitMs?: number;
}

/** Options of {@link Controller.watch}. */
export interface WatchOptions<T extends KubeObject = KubeObject> {
  readonly source: Source<T>;
  /** Maps events to requests. Default {@link enqueueRequestForObject}. */
  readonly handler?: EventHandler<T>;
  /** Every predicate must pass for an event to reach the handler. */
  readonly predicates?: readonly Predicate<T>[];
}

/** Where a controller is in its life; it goes back to `idle` after each run (it is restartable). */
export type ControllerState = 'idle' | 'running' | 'stopping';

/**
 * Sources feed handlers and predicates into one deduplicating, rate-limited work queue, drained by
 * `maxConcurrentReconciles` workers calling the Reconciler (controller-runtime's controller). A
 * leader-gated, restartable Runnable: each `start` (each term) makes a fresh queue, subscribes to
 * its sources (the current cache content first, at low priority), and runs until its signal aborts;
 * then in-flight reconciles are aborted (their signal) and `start` resolves once they have returned.
 */
export interface Controller extends Runnable, LeaderElectionRunnable, RestartableRunnable {
  readonly name: string;
  readonly state: ControllerState;
  /**
   * Adds a source (its `prepare` runs at once: a kind source registers its informer with the
   * cache). Allowed before and while the controller runs; a running controller subscribes at once.
   * @throws ReconcileError `invalidArgument` for a kind source without a cache.
   */
  watch<T extends KubeObject = KubeObject>(options: WatchOptions<T>): void;
  /**
   * Runs until `signal` aborts; resolves once every worker has stopped. Rejects with
   * `ReconcileError` `invalidState` when called while running.
   */
  start(signal: AbortSignal, context?: RunnableContext): Promise<void>;
  needLeaderElection(): true;
  restartable(): true;
}

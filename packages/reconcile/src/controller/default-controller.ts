import { systemClock, type Clock, type KubeObject } from '@kubekit/client';
import type { RunnableContext } from '@kubekit/manager';
import { Subscription } from 'rxjs';
import type { Cache } from '../cache/cache.js';
import { defaultControllerRateLimiter } from '../queue/max-of-rate-limiter.js';
import { createWorkQueue } from '../queue/default-work-queue.js';
import { LOW_PRIORITY, type WorkQueue } from '../queue/work-queue.js';
import { ReconcileError } from '../reconcile-error.js';
import {
  requestKey,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
} from '../reconciler.js';
import { TerminalError } from '../terminal-error.js';
import type { Controller, ControllerOptions, ControllerState, Logger, WatchOptions } from './controller.js';
import { ControllerMetrics, type ReconcileOutcome } from './controller-metrics.js';
import { enqueueRequestForObject, type EventHandler } from './handler.js';
import type { Predicate } from './predicate.js';
import type { ObjectEvent, Source } from './source.js';

const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

interface Watch {
  readonly source: Source;
  readonly handler: EventHandler;
  readonly predicates: readonly Predicate[];
}

/** What one run (one term) owns: its queue, its subscriptions. */
interface Run {
  readonly queue: WorkQueue;
  readonly signal: AbortSignal;
  readonly subscriptions: Subscription;
  readonly context: ReconcileContext;
}

/** A request from its queue key (names never contain `/`). */
function requestOf(key: string): Request {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The implementation of {@link Controller}; create it with {@link createController}. */
class DefaultController implements Controller {
  readonly name: string;
  readonly #reconciler: Reconciler;
  readonly #cache: Cache | undefined;
  readonly #workers: number;
  readonly #timeoutMs: number | undefined;
  readonly #usePriority: boolean;
  readonly #options: ControllerOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #metrics: ControllerMetrics | undefined;
  readonly #watches: Watch[] = [];
  #state: ControllerState = 'idle';
  #run: Run | undefined;

  constructor(options: ControllerOptions) {
    if (
      typeof options.name !== 'string' ||
      !/^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(options.name)
    ) {
      throw new ReconcileError(
        'invalidArgument',
        `controller name "${options.name}" must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
      );
    }
    this.name = options.name;
    const workers = options.maxConcurrentReconciles ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new ReconcileError(
        'invalidArgument',
        `controller ${this.name}: maxConcurrentReconciles (${workers}) must be an integer ≥ 1`,
      );
    }
    const timeout = options.reconcileTimeoutMs;
    if (timeout !== undefined && !(timeout > 0)) {
      throw new ReconcileError(
        'invalidArgument',
        `controller ${this.name}: reconcileTimeoutMs (${timeout}) must be > 0 ms (leave it out for no timeout)`,
      );
    }
    if (typeof (options.reconciler as Partial<Reconciler> | undefined)?.reconcile !== 'function') {
      throw new ReconcileError(
        'invalidArgument',
        `controller ${this.name}: reconciler has no reconcile(request, signal, context) method (wrap a function with reconcilerFunc)`,
      );
    }
    const maxWait = options.priorityQueueMaxWaitMs;
    if (maxWait !== undefined && !(maxWait >= 0)) {
      throw new ReconcileError(
        'invalidArgument',
        `controller ${this.name}: priorityQueueMaxWaitMs (${maxWait}) must be >= 0 ms (Infinity for strict priority)`,
      );
    }
    if (maxWait !== undefined && options.usePriorityQueue === false) {
      throw new ReconcileError(
        'invalidArgument',
        `controller ${this.name}: priorityQueueMaxWaitMs ages a priority queue; leave it out with usePriorityQueue false`,
      );
    }
    this.#reconciler = options.reconciler;
    this.#cache = options.cache;
    this.#workers = workers;
    this.#timeoutMs = timeout;
    this.#usePriority = options.usePriorityQueue ?? true;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? quiet;
    const registry = options.metrics ?? null;
    this.#metrics = registry === null ? undefined : ControllerMetrics.for(registry);
    this.#metrics?.initialize(this.name, workers);
  }

  get state(): ControllerState {
    return this.#state;
  }

  watch<T extends KubeObject = KubeObject>(options: WatchOptions<T>): void {
    const watch = {
      source: options.source,
      handler: options.handler ?? enqueueRequestForObject<T>(),
      predicates: options.predicates ?? [],
    } as unknown as Watch;
    watch.source.prepare?.(this.#cache);
    this.#watches.push(watch);
    if (this.#run !== undefined) this.#subscribe(this.#run, watch);
  }

  needLeaderElection(): true {
    return true;
  }

  restartable(): true {
    return true;
  }

  async start(signal: AbortSignal, context?: RunnableContext): Promise<void> {
    switch (this.#state) {
      case 'idle':
        break;
      case 'running':
      case 'stopping':
        throw new ReconcileError(
          'invalidState',
          `controller ${this.name}: start called while it is ${this.#state}`,
        );
    }
    this.#state = 'running';
    const queue = createWorkQueue({
      name: this.name,
      clock: this.#clock,
      rateLimiter: this.#options.rateLimiter ?? defaultControllerRateLimiter(this.#clock),
      metrics: this.#options.metrics ?? null,
      ...(this.#options.priorityQueueMaxWaitMs === undefined
        ? {}
        : { maxWaitMs: this.#options.priorityQueueMaxWaitMs }),
    });
    const run: Run = {
      queue,
      signal,
      subscriptions: new Subscription(),
      context: { term: context?.term },
    };
    const onAbort = (): void => {
      run.subscriptions.unsubscribe();
      queue.shutDown();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Sources without a sync (observables, channels) are subscribed at once, so nothing sent
      // after start() returns is lost; kind sources once their informer synced. Workers start then.
      this.#run = run;
      const waiting = this.#options.waitForSync ?? true;
      const synced = this.#watches.map((watch) => {
        if (!waiting || watch.source.waitForSync === undefined) {
          this.#subscribe(run, watch);
          return Promise.resolve(true);
        }
        return watch.source.waitForSync(this.#cache, signal).then((done) => {
          if (done && !signal.aborted) this.#subscribe(run, watch);
          return done;
        });
      });
      const results = await Promise.all(synced);
      if (signal.aborted) return;
      if (!results.every(Boolean)) {
        throw new ReconcileError(
          'notSynced',
          `controller ${this.name}: its sources stopped before they synced`,
        );
      }
      this.#logger.info({ controller: this.name, workers: this.#workers }, 'starting workers');
      await Promise.all(Array.from({ length: this.#workers }, () => this.#worker(run)));
    } finally {
      signal.removeEventListener('abort', onAbort);
      onAbort();
      this.#run = undefined;
      this.#state = 'idle';
      this.#logger.info({ controller: this.name }, 'workers stopped');
    }
  }

  #subscribe(run: Run, watch: Watch): void {
    const { queue } = run;
    run.subscriptions.add(
      watch.source.events(this.#cache).subscribe({
        next: (event: ObjectEvent) => {
          for (const predicate of watch.predicates) if (!predicate(event)) return;
          const options = event.initial && this.#usePriority ? { priority: LOW_PRIORITY } : {};
          for (const request of watch.handler(event)) queue.add(requestKey(request), options);
        },
        error: (error: unknown) => {
          this.#logger.error(
            { controller: this.name, source: watch.source.description, err: error },
            `source ${watch.source.description} failed: ${messageOf(error)}`,
          );
        },
      }),
    );
  }

  async #worker(run: Run): Promise<void> {
    const { queue, signal } = run;
    for (;;) {
      const key = await queue.get(signal);
      if (key === undefined || signal.aborted) {
        if (key !== undefined) queue.done(key);
        return;
      }
      this.#metrics?.activeWorkers.inc({ controller: this.name });
      try {
        await this.#reconcileOne(run, key);
      } finally {
        this.#metrics?.activeWorkers.dec({ controller: this.name });
        queue.done(key);
      }
    }
  }

  async #reconcileOne(run: Run, key: string): Promise<void> {
    const { queue, signal } = run;
    const request = requestOf(key);
    const timeout = this.#timeoutMs === undefined ? undefined : new AbortController();
    const timer = new AbortController();
    const reconcileSignal = timeout === undefined ? signal : AbortSignal.any([signal, timeout.signal]);
    if (timeout !== undefined && this.#timeoutMs !== undefined) {
      const limit = this.#timeoutMs;
      this.#clock.sleep(limit, AbortSignal.any([signal, timer.signal])).then(
        () => {
          timeout.abort(
            new ReconcileError(
              'timeout',
              `controller ${this.name}: reconcile of ${key} timed out after ${limit} ms`,
            ),
          );
        },
        () => undefined,
      );
    }
    const started = this.#clock.now();
    let outcome: ReconcileOutcome;
    try {
      const result: Result = await this.#reconciler.reconcile(request, reconcileSignal, run.context);
      if (signal.aborted) return;
      const after = result.requeueAfter ?? 0;
      queue.forget(key);
      if (after > 0) {
        queue.addAfter(key, after);
        outcome = 'requeue_after';
      } else {
        outcome = 'success';
      }
    } catch (error: unknown) {
      // The term ended (or the controller stopped): nothing is requeued, nothing counted.
      if (signal.aborted) return;
      outcome = 'error';
      this.#metrics?.errors.inc({ controller: this.name });
      if (TerminalError.is(error)) {
        this.#metrics?.terminalErrors.inc({ controller: this.name });
        queue.forget(key);
        this.#logger.error(
          { controller: this.name, request: key, err: error },
          `reconcile failed for good: ${messageOf(error)}`,
        );
      } else {
        queue.addRateLimited(key);
        this.#logger.warn(
          { controller: this.name, request: key, err: error, retries: queue.numRequeues(key) },
          `reconcile failed, retrying: ${messageOf(error)}`,
        );
      }
    } finally {
      timer.abort();
    }
    this.#metrics?.total.inc({ controller: this.name, result: outcome });
    this.#metrics?.time.observe({ controller: this.name }, (this.#clock.now() - started) / 1000);
  }
}

/** Builds a {@link Controller}. @throws ReconcileError `invalidArgument` for a bad name or option. */
export function createController(options: ControllerOptions): Controller {
  return new DefaultController(options);
}

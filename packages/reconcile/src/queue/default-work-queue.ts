import { systemClock, type Clock } from '@kubekit/client';
import { ReconcileError } from '../reconcile-error.js';
import { DelayHeap } from './delay-heap.js';
import { defaultControllerRateLimiter } from './max-of-rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';
import { Ring } from './ring.js';
import type { AddOptions, WorkQueue, WorkQueueOptions } from './work-queue.js';
import { WorkqueueMetrics, type QueueProbe, type QueueSeries } from './workqueue-metrics.js';

/** One key's state while it is queued, delayed or processed. Pooled: reused for other keys. */
class Entry<K> {
  key: K;
  priority = 0;
  /** Bumped at each push into a ring; a ring slot with another stamp is stale. */
  stamp = 0;
  dirty = false;
  processing = false;
  queuedAt = 0;
  startedAt = 0;

  constructor(key: K) {
    this.key = key;
  }
}

/** The items of one priority, first in first out. */
class Level<K> {
  readonly ring = new Ring<Entry<K>>();
  /** Live (non-stale) items in the ring. */
  live = 0;

  constructor(readonly priority: number) {}

  /** Drops stale slots at the head; returns the live head, if any. */
  head(): Entry<K> | undefined {
    for (;;) {
      const entry = this.ring.peek();
      if (entry === undefined) return undefined;
      if (entry.stamp === this.ring.peekStamp()) return entry;
      this.ring.shift();
    }
  }
}

interface Waiter<K> {
  resolve: (key: K | undefined) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Delayed {
  readonly at: number;
  readonly priority: number;
}

const POOL_LIMIT = 1024;

/** The implementation of {@link WorkQueue}; create it with {@link createWorkQueue}. */
class DefaultWorkQueue<K> implements WorkQueue<K> {
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter<K>;
  readonly #maxWaitMs: number;
  readonly #entries = new Map<K, Entry<K>>();
  readonly #pool: Entry<K>[] = [];
  /** Levels by descending priority. */
  #levels: Level<K>[] = [];
  readonly #levelOf = new Map<number, Level<K>>();
  #len = 0;
  #processing = 0;
  #waiters: Waiter<K>[] = [];
  #shuttingDown = false;
  #drainers: (() => void)[] = [];
  readonly #delayed = new Map<K, Delayed>();
  readonly #heap = new DelayHeap<K>();
  #timer: AbortController | null = null;
  #timerAt = Infinity;
  readonly #series: QueueSeries | null = null;
  readonly #metrics: WorkqueueMetrics | null = null;
  readonly #probe: QueueProbe;
  /** Whether items need timestamps: metrics, or aging across several priorities. */
  #timed: boolean;

  constructor(options: WorkQueueOptions<K>) {
    this.#clock = options.clock ?? systemClock;
    this.#rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<K>(this.#clock);
    this.#maxWaitMs = options.maxWaitMs ?? 10_000;
    if (!(this.#maxWaitMs >= 0)) {
      throw new ReconcileError(
        'invalidArgument',
        `work queue: maxWaitMs (${String(options.maxWaitMs)}) must be >= 0`,
      );
    }
    const levels = (): Level<K>[] => this.#levels;
    const entries = (): Map<K, Entry<K>> => this.#entries;
    const clock = this.#clock;
    this.#probe = {
      depths(visit) {
        for (const level of levels()) visit(level.priority, level.live);
      },
      processingStarts(visit) {
        for (const entry of entries().values()) if (entry.processing) visit(entry.startedAt);
      },
      now: () => clock.now(),
    };
    const registry = options.metrics ?? null;
    if (registry !== null) {
      if (options.name === undefined || options.name === '') {
        throw new ReconcileError('invalidArgument', 'work queue: metrics need a queue name (option `name`)');
      }
      this.#metrics = WorkqueueMetrics.for(registry);
      this.#series = this.#metrics.attach(options.name, this.#probe);
    }
    this.#timed = this.#series !== null;
    this.#level(0);
  }

  add(key: K, options?: AddOptions): void {
    if (this.#shuttingDown) return;
    this.#add(key, options?.priority ?? 0);
  }

  addAfter(key: K, delayMs: number, options?: AddOptions): void {
    if (this.#shuttingDown) return;
    if (this.#series !== null) this.#series.retries += 1;
    const priority = options?.priority ?? 0;
    if (!(delayMs > 0)) {
      this.#add(key, priority);
      return;
    }
    const at = this.#clock.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending !== undefined && pending.at <= at) return;
    this.#delayed.set(key, { at, priority: Math.max(priority, pending?.priority ?? priority) });
    this.#heap.push(at, key);
    this.#arm();
  }

  addRateLimited(key: K, options?: AddOptions): void {
    this.addAfter(key, this.#rateLimiter.when(key), options);
  }

  forget(key: K): void {
    this.#rateLimiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.#rateLimiter.numRequeues(key);
  }

  get(signal?: AbortSignal): Promise<K | undefined> {
    if (this.#len > 0) return Promise.resolve(this.#take());
    if (this.#shuttingDown || signal?.aborted === true) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter<K> = { resolve, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          resolve(undefined);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  done(key: K): void {
    const entry = this.#entries.get(key);
    if (!entry?.processing) return;
    entry.processing = false;
    this.#processing -= 1;
    if (this.#series !== null)
      this.#series.workDuration.observe((this.#clock.now() - entry.startedAt) / 1000);
    if (entry.dirty) {
      this.#enqueue(entry);
    } else {
      this.#entries.delete(key);
      if (this.#pool.length < POOL_LIMIT) this.#pool.push(entry);
    }
    if (this.#processing === 0 && this.#drainers.length > 0) {
      const drainers = this.#drainers;
      this.#drainers = [];
      for (const drained of drainers) drained();
    }
  }

  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    this.#timer?.abort();
    this.#timer = null;
    this.#timerAt = Infinity;
    this.#heap.clear();
    this.#delayed.clear();
    if (this.#metrics !== null) this.#metrics.detach(this.#probe);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) this.#settle(waiter, undefined);
  }

  shutDownWithDrain(signal?: AbortSignal): Promise<void> {
    this.shutDown();
    if (this.#processing === 0 || signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        signal?.removeEventListener('abort', finish);
        const index = this.#drainers.indexOf(finish);
        if (index >= 0) this.#drainers.splice(index, 1);
        resolve();
      };
      signal?.addEventListener('abort', finish, { once: true });
      this.#drainers.push(finish);
    });
  }

  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  len(): number {
    return this.#len;
  }

  #add(key: K, priority: number): void {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = this.#pool.pop() ?? new Entry(key);
      entry.key = key;
      this.#entries.set(key, entry);
    }
    if (entry.dirty) {
      if (priority <= entry.priority) return;
      // Raise: queued now at the higher level; the old slot goes stale.
      if (!entry.processing) {
        const from = this.#levelOf.get(entry.priority);
        if (from !== undefined) from.live -= 1;
        this.#len -= 1;
        entry.priority = priority;
        this.#enqueue(entry);
      } else {
        entry.priority = priority;
      }
      return;
    }
    entry.dirty = true;
    entry.priority = priority;
    if (this.#series !== null) this.#series.adds += 1;
    if (this.#timed) entry.queuedAt = this.#clock.now();
    if (!entry.processing) this.#enqueue(entry);
  }

  #enqueue(entry: Entry<K>): void {
    const level = this.#levelOf.get(entry.priority) ?? this.#level(entry.priority);
    entry.stamp += 1;
    level.ring.push(entry, entry.stamp);
    level.live += 1;
    this.#len += 1;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) this.#settle(waiter, this.#take());
  }

  #take(): K {
    const levels = this.#levels;
    let chosen: Level<K> | undefined;
    let oldest: Level<K> | undefined;
    let oldestAt = Infinity;
    for (const level of levels) {
      if (level.live === 0) continue;
      if (chosen === undefined) {
        chosen = level;
        if (levels.length === 1 || this.#maxWaitMs === Infinity) break;
      }
      const head = level.head();
      if (head !== undefined && head.queuedAt < oldestAt) {
        oldestAt = head.queuedAt;
        oldest = level;
      }
    }
    let now = 0;
    if (this.#timed) now = this.#clock.now();
    if (oldest !== undefined && oldest !== chosen && now - oldestAt >= this.#maxWaitMs) chosen = oldest;
    const level = chosen;
    const entry = level?.head();
    if (level === undefined || entry === undefined) throw new Error('work queue: no item although len > 0');
    level.ring.shift();
    level.live -= 1;
    this.#len -= 1;
    entry.dirty = false;
    entry.processing = true;
    this.#processing += 1;
    if (this.#series !== null) {
      entry.startedAt = now;
      this.#series.queueDuration.observe((now - entry.queuedAt) / 1000);
    }
    return entry.key;
  }

  #settle(waiter: Waiter<K>, key: K | undefined): void {
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(key);
  }

  #level(priority: number): Level<K> {
    const level = new Level<K>(priority);
    this.#levelOf.set(priority, level);
    this.#levels = [...this.#levels, level].sort((a, b) => b.priority - a.priority);
    if (this.#levels.length > 1) this.#timed = true;
    return level;
  }

  /** Makes the delay timer fire at the earliest pending delay. */
  #arm(): void {
    const next = this.#heap.peekAt();
    if (next >= this.#timerAt) return;
    this.#timer?.abort();
    const timer = new AbortController();
    this.#timer = timer;
    this.#timerAt = next;
    this.#clock.sleep(Math.max(0, next - this.#clock.now()), timer.signal).then(
      () => {
        if (this.#timer !== timer) return;
        this.#timer = null;
        this.#timerAt = Infinity;
        this.#flushDue();
        this.#arm();
      },
      () => {
        // Replaced by an earlier delay, or shut down.
      },
    );
  }

  #flushDue(): void {
    const now = this.#clock.now();
    while (this.#heap.size > 0 && this.#heap.peekAt() <= now) {
      const at = this.#heap.peekAt();
      const key = this.#heap.pop() as K;
      const pending = this.#delayed.get(key);
      if (pending?.at !== at) continue;
      this.#delayed.delete(key);
      this.#add(key, pending.priority);
    }
  }
}

/** Creates a {@link WorkQueue}. */
export function createWorkQueue<K = string>(options: WorkQueueOptions<K> = {}): WorkQueue<K> {
  return new DefaultWorkQueue<K>(options);
}

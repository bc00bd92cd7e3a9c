import { systemClock, type Clock } from '../clock.js';
import { LeaderElectionError } from '../leader-election-error.js';
import type { LeaderElectionRecord } from '../locks/leader-election-record.js';
import type { Lock, LockSnapshot, LockWatchEvent, LockWatchHandlers } from '../locks/lock.js';

/** What a {@link MemoryLock}'s requests meet: a working store, a black hole, or refusal. */
export type MemoryLockPartition = 'none' | 'hang' | 'fail';

/** Options of a {@link MemoryLockStore}. */
export interface MemoryLockStoreOptions {
  /** Name of the lock object (the `name` of the metrics). Default `memory-lock`. */
  readonly name?: string;
  /** Namespace shown in descriptions. Default `memory`. */
  readonly namespace?: string;
  /** How many past changes a watch can resume from (older: `watchExpired`). Default 100. */
  readonly historyLimit?: number;
}

/** Options of {@link MemoryLockStore.lock}. */
export interface MemoryLockOptions {
  /**
   * One-way delay, in ms on `clock`: a request reaches the store after it, its answer comes back
   * after it again; watch events arrive after it. Default 0 (the next microtask each way).
   */
  readonly latencyMs?: number;
  /** Where the delays are measured. Default `systemClock` (so sinon's fake timers drive it). */
  readonly clock?: Clock;
}

interface Change {
  readonly resourceVersion: string;
  readonly snapshot: LockSnapshot | undefined;
}

type Listener = (change: Change) => void;

/**
 * One lock object in memory, shared by any number of {@link MemoryLock} clients in one process:
 * resourceVersions, compare-and-swap, watch streams with a bounded history. A test helper for
 * electors (and the Managers around them) in virtual time; not for production.
 */
export class MemoryLockStore {
  readonly name: string;
  readonly namespace: string;
  private current: LockSnapshot | undefined;
  private nextVersion = 1;
  private readonly history: Change[] = [];
  private readonly historyLimit: number;
  private readonly listeners = new Set<Listener>();

  constructor(options: MemoryLockStoreOptions = {}) {
    this.name = options.name ?? 'memory-lock';
    this.namespace = options.namespace ?? 'memory';
    this.historyLimit = options.historyLimit ?? 100;
  }

  /** A client of this store writing as `identity`. */
  lock(identity: string, options: MemoryLockOptions = {}): MemoryLock {
    return new MemoryLock(this, identity, options);
  }

  /** The object as stored now (`undefined`: it does not exist). */
  snapshot(): LockSnapshot | undefined {
    return this.current;
  }

  /** The holder in the stored record (`undefined` when there is no object or no record). */
  holder(): string | undefined {
    return this.current?.record?.holderIdentity;
  }

  /** Writes `record` unconditionally (a test playing another writer); returns the new snapshot. */
  put(record: LeaderElectionRecord | undefined): LockSnapshot {
    return this.write(record);
  }

  /** Deletes the object. */
  delete(): void {
    if (this.current === undefined) return;
    this.current = undefined;
    this.publish({ resourceVersion: String(this.nextVersion++), snapshot: undefined });
  }

  /** @internal Serves a read. */
  serveGet(): LockSnapshot | undefined {
    return this.current;
  }

  /** @internal Serves a create: `conflict` when the object exists. */
  serveCreate(record: LeaderElectionRecord): LockSnapshot | 'conflict' {
    return this.current === undefined ? this.write(record) : 'conflict';
  }

  /** @internal Serves a conditional update: `conflict` when the object is not at `resourceVersion`. */
  serveUpdate(record: LeaderElectionRecord, resourceVersion: string): LockSnapshot | 'conflict' {
    return this.current?.resourceVersion === resourceVersion ? this.write(record) : 'conflict';
  }

  /**
   * @internal Replays the changes after `resourceVersion` (the current object when `undefined`) to
   * `listener`, then subscribes it; `expired` when `resourceVersion` is no longer in the history.
   */
  subscribe(resourceVersion: string | undefined, listener: Listener): 'expired' | (() => void) {
    if (resourceVersion === undefined) {
      if (this.current !== undefined)
        listener({ resourceVersion: this.current.resourceVersion, snapshot: this.current });
    } else if (resourceVersion !== this.current?.resourceVersion) {
      const index = this.history.findIndex((change) => change.resourceVersion === resourceVersion);
      if (index < 0) return 'expired';
      for (const change of this.history.slice(index + 1)) listener(change);
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private write(record: LeaderElectionRecord | undefined): LockSnapshot {
    const snapshot: LockSnapshot = { resourceVersion: String(this.nextVersion++), record };
    this.current = snapshot;
    this.publish({ resourceVersion: snapshot.resourceVersion, snapshot });
    return snapshot;
  }

  private publish(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) this.history.shift();
    for (const listener of [...this.listeners]) listener(change);
  }
}

/**
 * One client's {@link Lock} on a {@link MemoryLockStore}. {@link MemoryLock.partition} cuts it off:
 * `hang` (requests and watch events never arrive, until the partition ends or the request's signal
 * aborts) or `fail` (requests and open watches fail at once with `apiError` 503).
 */
export class MemoryLock implements Lock {
  readonly name: string;
  readonly description: string;
  private readonly latencyMs: number;
  private readonly clock: Clock;
  private mode: MemoryLockPartition = 'none';
  /** Work held back by a `hang` partition, run when it ends. */
  private held: (() => void)[] = [];
  private readonly failWatches = new Set<(error: Error) => void>();

  constructor(
    private readonly store: MemoryLockStore,
    readonly identity: string,
    options: MemoryLockOptions = {},
  ) {
    this.name = store.name;
    this.description = `lease ${store.namespace}/${store.name}`;
    this.latencyMs = options.latencyMs ?? 0;
    this.clock = options.clock ?? systemClock;
  }

  /** The current partition mode. */
  get partitioned(): MemoryLockPartition {
    return this.mode;
  }

  /**
   * Cuts this client off (`hang`, `fail`) or reconnects it (`none`: held requests then reach the
   * store, in order, and held watch events are delivered).
   */
  partition(mode: MemoryLockPartition): void {
    this.mode = mode;
    if (mode === 'fail') {
      for (const fail of [...this.failWatches]) fail(refused(this.description));
    }
    if (mode === 'hang') return;
    const held = this.held;
    this.held = [];
    for (const run of held) run();
  }

  get(signal: AbortSignal): Promise<LockSnapshot | undefined> {
    return this.call(signal, () => this.store.serveGet());
  }

  create(record: LeaderElectionRecord, signal: AbortSignal): Promise<LockSnapshot> {
    return this.call(signal, () => this.store.serveCreate(record));
  }

  update(record: LeaderElectionRecord, resourceVersion: string, signal: AbortSignal): Promise<LockSnapshot> {
    return this.call(signal, () => this.store.serveUpdate(record, resourceVersion));
  }

  watch(
    resourceVersion: string | undefined,
    handlers: LockWatchHandlers,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      if (this.mode === 'fail') {
        reject(refused(this.description));
        return;
      }
      let unsubscribe: (() => void) | undefined;
      let done = false;
      const finish = (error?: Error): void => {
        if (done) return;
        done = true;
        unsubscribe?.();
        this.failWatches.delete(finish);
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => {
        finish();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.failWatches.add(finish);
      const deliver = (change: Change): void => {
        this.afterLatency(() => {
          if (done) return;
          handlers.onEvent(toEvent(change));
        });
      };
      this.afterLatency(() => {
        if (done) return;
        const subscribed = this.store.subscribe(resourceVersion, deliver);
        if (subscribed === 'expired') {
          finish(
            new LeaderElectionError('watchExpired', `${this.description}: too old resourceVersion`, {
              statusCode: 410,
            }),
          );
          return;
        }
        unsubscribe = subscribed;
        handlers.onEstablished();
      });
    });
  }

  private call<T>(signal: AbortSignal, serve: () => T | 'conflict'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      let done = false;
      const onAbort = (): void => {
        if (done) return;
        done = true;
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (this.mode === 'fail') {
        done = true;
        signal.removeEventListener('abort', onAbort);
        reject(refused(this.description));
        return;
      }
      const settle = (): boolean => {
        if (done) return false;
        done = true;
        signal.removeEventListener('abort', onAbort);
        return true;
      };
      this.afterLatency(
        () => {
          if (done) return;
          // The store applies the request now, whatever the client does meanwhile; the answer
          // travels back with the same latency (and may be held or refused on its way).
          const result = serve();
          this.afterLatency(
            () => {
              if (!settle()) return;
              if (result === 'conflict') {
                reject(
                  new LeaderElectionError('lockConflict', `${this.description}: conflict (409)`, {
                    statusCode: 409,
                  }),
                );
              } else {
                resolve(result);
              }
            },
            () => {
              if (settle()) reject(refused(this.description));
            },
          );
        },
        () => {
          if (settle()) reject(refused(this.description));
        },
      );
    });
  }

  /**
   * Runs `fn` after the latency, or once a `hang` partition ends; `onFail` instead when the client
   * is (or becomes) partitioned with `fail`.
   */
  private afterLatency(fn: () => void, onFail: () => void = () => undefined): void {
    const run = (): void => {
      if (this.mode === 'hang') this.held.push(run);
      else if (this.mode === 'none') fn();
      else onFail();
    };
    if (this.latencyMs > 0) this.clock.sleep(this.latencyMs).then(run, () => undefined);
    else queueMicrotask(run);
  }
}

function refused(description: string): LeaderElectionError {
  return new LeaderElectionError('apiError', `${description}: connection refused (partitioned)`, {
    statusCode: 503,
  });
}

function toEvent(change: Change): LockWatchEvent {
  return change.snapshot === undefined
    ? { type: 'deleted', resourceVersion: change.resourceVersion }
    : { type: 'changed', snapshot: change.snapshot };
}

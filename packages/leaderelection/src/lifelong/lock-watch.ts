import type { Clock } from '../clock.js';
import { Backoff } from './backoff.js';
import { statusCodeOf, type LifelongApi, type LockEvent, type LockInfo } from './lifelong-api.js';

/**
 * A watch that ends without an event sooner than this is treated as failing (backoff before the
 * next one), so that a server that closes watches at once cannot make a hot loop of them.
 */
const MIN_QUIET_WATCH_MS = 1000;

/** What a {@link LockWatch} needs. */
export interface LockWatchDeps {
  readonly api: LifelongApi;
  readonly clock: Clock;
  readonly namespace: string;
  readonly name: string;
  readonly newBackoff: () => Backoff;
  /** Runs one API request, bounded by the request timeout and by `signal`. */
  readonly request: <T>(work: (signal: AbortSignal) => Promise<T>, signal: AbortSignal) => Promise<T>;
  /** Called with every failure (of the watch or of a fallback read); the watch retries it. */
  readonly onError: (error: unknown, verb: 'get' | 'watch') => void;
  /** Called when a read or a watch event succeeds (after failures: the condition has recovered). */
  readonly onHealthy: () => void;
  /** Called with the lock's current state whenever it is observed (`undefined`: deleted). */
  readonly onLock: (lock: LockInfo | undefined) => void;
  /**
   * Called with every version of a lock of that name observed, deleted and replaced ones included
   * (whatever its UID): for what it carries, such as its epoch.
   */
  readonly onSeen: (lock: LockInfo) => void;
}

/**
 * Follows one lock (its object UID and its owner's UID) until it is gone: deleted, replaced by
 * another object of the same name, or given another owner. It keeps one watch open from the last
 * resourceVersion seen, restarts it at once when
 * the stream ends quietly (the 30 s inactivity timeout is not a failure), and while the
 * watch fails reads (polls) the lock with capped, jittered backoff between attempts.
 */
export class LockWatch {
  private readonly controller = new AbortController();
  private readonly loop: Promise<void>;
  private goneFlag = false;
  private readonly waiters = new Set<() => void>();
  private watchUp = false;

  private readonly uid: string;
  private readonly ownerUid: string | undefined;

  constructor(
    private readonly deps: LockWatchDeps,
    lock: LockInfo,
  ) {
    this.uid = lock.uid;
    this.ownerUid = lock.owner?.uid;
    this.loop = this.run(lock.resourceVersion);
  }

  /** True once the lock is known to be gone (deleted, replaced, or owned by another Pod). */
  get gone(): boolean {
    return this.goneFlag;
  }

  /** True while a watch stream is open. */
  get up(): boolean {
    return this.watchUp;
  }

  /**
   * Resolves when the lock is gone or `ms` have passed, whichever is first; rejects with the
   * signal's reason when `signal` aborts first.
   */
  async waitGone(ms: number, signal: AbortSignal): Promise<void> {
    if (this.goneFlag) return;
    const wake = new AbortController();
    const both = AbortSignal.any([signal, wake.signal]);
    const waiter = (): void => {
      wake.abort();
    };
    this.waiters.add(waiter);
    try {
      await this.deps.clock.sleep(ms, both);
    } catch (error) {
      if (signal.aborted) throw error;
    } finally {
      this.waiters.delete(waiter);
    }
  }

  /** Stops watching; resolves when no request or timer of it is left. Idempotent. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop;
  }

  private markGone(): void {
    if (this.goneFlag) return;
    this.goneFlag = true;
    this.controller.abort();
    for (const waiter of this.waiters) waiter();
  }

  private async run(initialVersion: string | undefined): Promise<void> {
    const { api, clock, namespace, name } = this.deps;
    const signal = this.controller.signal;
    const backoff = this.deps.newBackoff();
    let resourceVersion = initialVersion;
    try {
      while (!signal.aborted) {
        if (resourceVersion === undefined) {
          // The watch is down: read the lock (the polling fallback) and watch again from there.
          try {
            const lock = await this.deps.request(
              (bounded) => api.getConfigMap(namespace, name, bounded),
              signal,
            );
            this.deps.onHealthy();
            this.deps.onSeen(lock);
            this.deps.onLock(lock);
            if (!this.isSame(lock)) {
              this.markGone();
              break;
            }
            resourceVersion = lock.resourceVersion;
          } catch (error) {
            if (isAborted(signal)) break;
            if (statusCodeOf(error) === 404) {
              this.deps.onLock(undefined);
              this.markGone();
              break;
            }
            this.deps.onError(error, 'get');
            await clock.sleep(backoff.next(), signal);
            continue;
          }
        }
        const started = clock.now();
        let events = 0;
        try {
          this.watchUp = true;
          await api.watchConfigMap(
            namespace,
            name,
            resourceVersion,
            (event) => {
              if (events === 0) this.deps.onHealthy();
              events += 1;
              resourceVersion = this.handle(event) ?? resourceVersion;
            },
            signal,
          );
          this.watchUp = false;
          if (isAborted(signal)) break;
          if (events === 0 && clock.now() - started < MIN_QUIET_WATCH_MS) {
            // A stream that closes at once, again and again, must not become a hot loop.
            await clock.sleep(backoff.next(), signal);
          } else {
            backoff.reset();
          }
        } catch (error) {
          this.watchUp = false;
          if (isAborted(signal)) break;
          this.deps.onError(error, 'watch');
          resourceVersion = undefined;
          await clock.sleep(backoff.next(), signal);
        }
      }
    } catch (error) {
      // Only an aborted sleep ends up here.
      if (!signal.aborted) throw error;
    } finally {
      this.watchUp = false;
    }
  }

  /** Applies one event; returns the resourceVersion to resume from. */
  private handle(event: LockEvent): string | undefined {
    if (event.type === 'BOOKMARK') return event.resourceVersion;
    const { lock } = event;
    this.deps.onSeen(lock);
    if (event.type === 'DELETED') {
      if (lock.uid === this.uid) {
        this.deps.onLock(undefined);
        this.markGone();
      }
      return lock.resourceVersion;
    }
    this.deps.onLock(lock);
    if (!this.isSame(lock)) this.markGone();
    return lock.resourceVersion;
  }

  private isSame(lock: LockInfo): boolean {
    return lock.uid === this.uid && lock.owner?.uid === this.ownerUid;
  }
}

/** Reads `signal.aborted` afresh (after an await), out of reach of the compiler's narrowing. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

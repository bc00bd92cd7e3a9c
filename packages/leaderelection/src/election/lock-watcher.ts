import { startTimer, timerCancelled, type Clock } from '../clock.js';
import { LeaderElectionError } from '../leader-election-error.js';
import type { Logger } from '../logger.js';
import type { Lock } from '../locks/lock.js';
import type { LeaderElectionMetrics } from '../observability/leader-election-metrics.js';
import type { ConditionLog } from './condition-log.js';
import { jittered } from './lease-timings.js';
import type { LockObserver } from './lock-observer.js';
import { outcomeOf, type RequestRunner } from './request-runner.js';
import { isAborted, type Waiter } from './waiter.js';

/** What a {@link LockWatcher} needs from its elector. */
export interface LockWatcherOptions {
  readonly lock: Lock;
  readonly description: string;
  readonly observer: LockObserver;
  readonly waiter: Waiter;
  readonly requests: RequestRunner;
  readonly conditions: ConditionLog;
  readonly metrics: LeaderElectionMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: () => number;
  readonly retryPeriod: number;
  /** Keep watching while this replica leads; otherwise {@link LockWatcher.pause} closes the watch. */
  readonly whileLeading: boolean;
}

/**
 * Keeps one watch on the lock object and feeds its events to the observer. `up` says whether a
 * watch is established; while it is not, followers poll. A watch that ends quietly (an inactivity
 * timeout) is resumed from its last resourceVersion at once; one that breaks is marked down at once
 * (followers read at once) and re-opened; one not established within retryPeriod is marked down.
 * Without `whileLeading`, a term's start closes it ({@link LockWatcher.pause}) and the term's end
 * re-opens it from the last version observed ({@link LockWatcher.resume}).
 */
export class LockWatcher {
  private upValue = false;
  private paused = false;
  /** Ends the open watch when this replica starts leading (without `whileLeading`). */
  private closeCurrent: AbortController | undefined;
  /** Lets a paused loop go on. */
  private onResume: (() => void) | undefined;

  constructor(private readonly options: LockWatcherOptions) {}

  /** True while a watch is established. */
  get up(): boolean {
    return this.upValue;
  }

  /**
   * A term starts: from now on the open watch's events are ignored (unless watching while leading),
   * so that no change of the lock reaches the elector while the term is being published; they are
   * replayed when the watch re-opens from the last version observed. Cheap: {@link LockWatcher.pause}
   * closes the watch afterwards.
   */
  mute(): void {
    if (this.options.whileLeading) return;
    this.paused = true;
    this.options.observer.watchGap();
  }

  /** A term started: close the watch until {@link LockWatcher.resume} (unless watching while leading). */
  pause(): void {
    if (this.options.whileLeading) return;
    this.paused = true;
    this.options.observer.watchGap();
    this.closeCurrent?.abort(timerCancelled);
  }

  /** The term ended: re-open the watch from the last version observed. */
  resume(): void {
    this.paused = false;
    const resume = this.onResume;
    this.onResume = undefined;
    resume?.();
  }

  /**
   * Watches until `signal` aborts; never rejects. A watch resumes where the previous one's stream
   * got to; when that one delivered nothing, it starts from the version the observer last accepted
   * (a read's, a write's), so that a change or deletion since then comes as an event (a watch from
   * the current state shows nothing of an object deleted meanwhile); from the current state only
   * when no version is known, or after a 410 the read that follows could not replace.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { observer, retryPeriod } = this.options;
    let resourceVersion: string | undefined;
    /** Whether `resourceVersion` is where the previous watch's stream got to (it resumes there). */
    let resumable = false;
    /** After a 410: the versions known are too old; the next watch starts from the current state. */
    let relist = false;
    while (!signal.aborted) {
      if (this.paused) {
        this.setUp(false);
        await this.whilePaused(signal);
        resourceVersion = observer.observation?.snapshot?.resourceVersion ?? resourceVersion;
        resumable = false;
        continue;
      }
      const from: string | undefined =
        resourceVersion ?? (relist ? undefined : observer.observation?.snapshot?.resourceVersion);
      const close = new AbortController();
      const onStop = (): void => {
        close.abort(signal.reason);
      };
      signal.addEventListener('abort', onStop, { once: true });
      this.closeCurrent = close;
      let outcome: { failure: unknown; established: boolean; lived: number };
      try {
        outcome = await this.watchOnce(
          from,
          resumable && from === resourceVersion,
          close.signal,
          (version) => {
            resourceVersion = version;
          },
        );
      } catch (error: unknown) {
        // Only the code around the watch throws here (a Clock that fails): a failed watch, retried.
        outcome = { failure: error, established: false, lived: 0 };
      }
      resumable = true;
      this.closeCurrent = undefined;
      signal.removeEventListener('abort', onStop);
      if (isAborted(signal) || close.signal.aborted) continue; // stopping, or paused by a term's start
      const { failure, established, lived } = outcome;
      if (established) relist = false;
      if (failure === undefined && established && lived >= retryPeriod) {
        // A quiet end (the server's or the client's inactivity timeout): resume where we were. (One
        // within retryPeriod of opening is no timeout but a server or proxy that closes every watch:
        // it goes the failure way below, so as not to re-open in a tight loop.)
        this.options.conditions.ok('watch', `${this.options.description}: watching the lock works again`);
        continue;
      }
      this.setUp(false);
      if (established && lived >= retryPeriod) {
        // A long-lived watch broke (connection reset): followers read at once (the watch is down)
        // while it is re-opened at once.
        this.options.logger.debug(
          { lock: this.options.description, err: failure },
          'the watch broke; re-watching',
        );
        continue;
      }
      if (LeaderElectionError.is(failure, 'watchExpired') && from !== undefined) {
        // 410: the version is too old. Read the lock and watch from what the read shows; from the
        // current state when it shows nothing newer (an object unchanged since a compacted version,
        // or absent) or fails.
        this.options.logger.debug({ lock: this.options.description }, 'watch expired (410); reading again');
        resourceVersion = undefined;
        const read = await this.read(signal);
        relist = !read || observer.observation?.snapshot?.resourceVersion === from;
        continue;
      }
      if (failure === undefined) {
        this.options.conditions.fail(
          'watch',
          'closed',
          `${this.options.description}: the watch closed before it was established; polling every retryPeriod meanwhile`,
        );
      } else {
        if (LeaderElectionError.is(failure)) this.options.metrics.request('watch', outcomeOf(failure));
        this.options.requests.reportFailure(
          'watch',
          'watching the lock (polling every retryPeriod meanwhile)',
          failure,
        );
      }
      await this.options.waiter.pause(jittered(retryPeriod, this.options.random), [signal], false);
    }
    this.setUp(false);
  }

  /**
   * One watch from `from` (`resumed`: where the previous watch got to); marks the watch down if it
   * is not established within retryPeriod.
   */
  private async watchOnce(
    from: string | undefined,
    resumed: boolean,
    signal: AbortSignal,
    advance: (resourceVersion: string) => void,
  ): Promise<{ failure: unknown; established: boolean; lived: number }> {
    const { lock, observer, clock, metrics, retryPeriod } = this.options;
    const state = { established: false };
    const startedAt = clock.now();
    const grace = this.upValue
      ? startTimer(clock, retryPeriod, () => {
          if (!state.established) this.setUp(false);
        })
      : undefined;
    observer.watchStarting(from, resumed);
    let failure: unknown;
    try {
      await lock.watch(
        from,
        {
          onEstablished: () => {
            state.established = true;
            if (!this.paused) observer.watchEstablished(from === undefined);
            metrics.request('watch', '200');
            this.setUp(true);
          },
          onEvent: (event) => {
            if (this.paused) return; // muted or paused by a term's start: replayed on resume
            switch (event.type) {
              case 'bookmark':
                advance(event.resourceVersion);
                break;
              case 'deleted':
                advance(event.resourceVersion);
                observer.watchEvent(event);
                break;
              case 'changed':
                advance(event.snapshot.resourceVersion);
                observer.watchEvent(event);
                break;
            }
          },
        },
        signal,
      );
    } catch (error: unknown) {
      failure = error;
    } finally {
      grace?.cancel();
      observer.watchEnded(); // the next watch resumes from here, unless it relists
    }
    return { failure, established: state.established, lived: clock.now() - startedAt };
  }

  /** Reads the lock into the observer (after a 410); false when it failed (reported). */
  private async read(signal: AbortSignal): Promise<boolean> {
    const { observer, requests, lock } = this.options;
    const begun = observer.beginRead();
    try {
      const snapshot = await requests.request('get', (s) => lock.get(s), Infinity, [signal]);
      observer.readAnswer(snapshot, begun);
      return true;
    } catch (error: unknown) {
      observer.readFailed();
      if (!signal.aborted) requests.reportFailure('watch', 'reading the lock after the watch expired', error);
      return false;
    }
  }

  /** Resolves on {@link LockWatcher.resume} or when `signal` aborts. */
  private whilePaused(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted || !this.paused) {
        resolve();
        return;
      }
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.onResume = undefined;
        resolve();
      };
      this.onResume = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private setUp(up: boolean): void {
    if (this.upValue === up) return;
    this.upValue = up;
    this.options.waiter.notify();
  }
}

import type { Observable } from 'rxjs';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { LeaderElectionError } from '../leader-election-error.js';
import { quietLogger, safeLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import type { Lock } from '../locks/lock.js';
import type { EventRecorder, ElectionEvent } from '../observability/event-recorder.js';
import { LeaderElectionMetrics } from '../observability/leader-election-metrics.js';
import { Campaign } from './campaign.js';
import { ConditionLog } from './condition-log.js';
import { deadlineSignal } from './deadline-signal.js';
import type { Elector, Leadership, Term } from './elector.js';
import { LeadershipPublisher } from './leadership-publisher.js';
import type { LeaseElectorOptions } from './lease-elector-options.js';
import { validateLeaseTimings } from './lease-timings.js';
import type { LeaseTimings } from './lease-timings.js';
import { LockObserver } from './lock-observer.js';
import { LockWatcher } from './lock-watcher.js';
import { RequestRunner } from './request-runner.js';
import { SignalRelays } from './signal-relays.js';
import { TermKeeper } from './term-keeper.js';
import { isAborted, Waiter } from './waiter.js';

/**
 * Where an elector is in its life: `idle` until `run`, then `following` and `leading` in turn,
 * `stopping` once `run`'s signal aborted (draining, releasing), `stopped` once `run` resolved.
 */
export type LeaseElectorState = 'idle' | 'following' | 'leading' | 'stopping' | 'stopped';

/**
 * Lease-based leader election as DESIGN.md specifies it: followers watch the lock and act at the
 * exact moment of a release or expiry (measured on their own monotonic clock from when they saw
 * the record change), a leader renews with one conditional write per retryPeriod and steps down
 * the moment renewDeadline has passed since the start of its last successful renew, and every
 * write is a compare-and-swap on the last-read resourceVersion.
 *
 * The parts, each owning its own state: {@link LockObserver} (what is known about the lock),
 * {@link LockWatcher} (the watch), {@link Campaign} (following and acquiring), {@link TermKeeper}
 * (renewing, draining, releasing), {@link RequestRunner} (bounded requests) and
 * {@link LeadershipPublisher} (the observables). This class runs them in turn.
 *
 * Construction validates the timings (`LeaderElectionError` kind `invalidConfig`); nothing an API
 * server does makes `run` reject: failures are retried, logged once per distinct condition and
 * emitted on `errors$`.
 */
export class LeaseElector implements Elector {
  readonly identity: string;
  readonly lockDescription: string;
  readonly leadership$: Observable<Leadership>;
  readonly leader$: Observable<string | undefined>;
  readonly errors$: Observable<LeaderElectionError>;
  /** The validated timings, in milliseconds. */
  readonly timings: LeaseTimings;

  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly healthTolerance: number;
  private readonly events: EventRecorder | undefined;
  private readonly relays = new SignalRelays();
  private readonly waiter: Waiter;
  private readonly publisher: LeadershipPublisher;
  private readonly observer: LockObserver;
  private readonly watcher: LockWatcher | undefined;
  private readonly campaign: Campaign;
  private readonly keeper: TermKeeper;
  private readonly pendingEvents = new Set<Promise<void>>();
  private releaseOnCancel: boolean;
  private stateValue: LeaseElectorState = 'idle';

  constructor(options: LeaseElectorOptions) {
    const lock: Lock = options.lock;
    this.lockDescription = lock.description;
    if (options.identity !== undefined && options.identity !== lock.identity) {
      throw new LeaderElectionError(
        'invalidConfig',
        `${this.lockDescription}: identity "${options.identity}" differs from the lock's identity "${lock.identity}"; set it in one place`,
      );
    }
    this.identity = lock.identity;
    if (this.identity === '') {
      throw new LeaderElectionError('invalidConfig', `${this.lockDescription}: identity must not be empty`);
    }
    const timings = validateLeaseTimings(this.lockDescription, options);
    this.timings = timings;
    const requestTimeout = options.requestTimeout ?? timings.renewDeadline / 2;
    if (!(requestTimeout > 0)) {
      throw new LeaderElectionError(
        'invalidConfig',
        `${this.lockDescription}: requestTimeout (${String(options.requestTimeout)} ms) must be positive`,
      );
    }
    const drainTimeout = options.drainTimeout ?? timings.renewDeadline;
    if (!(drainTimeout >= 0)) {
      throw new LeaderElectionError(
        'invalidConfig',
        `${this.lockDescription}: drainTimeout (${String(options.drainTimeout)} ms) must not be negative`,
      );
    }
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    const logger = safeLogger(options.logger ?? quietLogger);
    this.logger = logger;
    const random = options.random ?? Math.random;
    this.releaseOnCancel = options.releaseOnCancel ?? false;
    this.healthTolerance = options.healthTolerance ?? timings.retryPeriod;
    const metrics = new LeaderElectionMetrics(lock.name, options.registry);
    this.events = options.eventRecorder === null ? undefined : (options.eventRecorder ?? lock.eventRecorder);
    const fields = { lock: this.lockDescription, identity: this.identity };
    const conditions = new ConditionLog(logger, fields);
    this.publisher = new LeadershipPublisher(logger, fields);
    this.leadership$ = this.publisher.leadership$;
    this.leader$ = this.publisher.leader$;
    this.errors$ = this.publisher.errors$;
    this.waiter = new Waiter(clock, this.relays);
    const requests = new RequestRunner({
      description: this.lockDescription,
      clock,
      relays: this.relays,
      metrics,
      conditions,
      errors: this.publisher.errors,
      requestTimeout,
    });
    this.observer = new LockObserver(
      this.identity,
      this.lockDescription,
      timings.leaseDuration,
      clock,
      conditions,
      {
        changed: (observation) => {
          const record = observation.snapshot?.record;
          this.publisher.publishLeader(
            record !== undefined && record.holderIdentity !== '' && record.leaseDurationSeconds > 0
              ? record.holderIdentity
              : undefined,
          );
          this.waiter.notify();
        },
        foreignState: (why, duplicate) => {
          this.keeper.foreign(why, duplicate);
        },
        duplicateIdentity: (message) => {
          const error = new LeaderElectionError('duplicateIdentity', message);
          conditions.fail('identity', 'duplicate', message, error);
          this.publisher.errors.next(error);
        },
        readWanted: () => {
          this.waiter.notify();
        },
      },
    );
    const shared = {
      identity: this.identity,
      description: this.lockDescription,
      timings,
      lock,
      clock,
      logger,
      conditions,
      observer: this.observer,
      waiter: this.waiter,
      requests,
    };
    this.watcher =
      (options.watch ?? true)
        ? new LockWatcher({
            ...shared,
            metrics,
            random,
            retryPeriod: timings.retryPeriod,
            whileLeading: options.watchWhileLeading ?? false,
          })
        : undefined;
    this.campaign = new Campaign({ ...shared, random, watcher: this.watcher });
    this.keeper = new TermKeeper({
      ...shared,
      metrics,
      publisher: this.publisher,
      errors: this.publisher.errors,
      drainTimeout,
      recordEvent: (event) => {
        this.recordEvent(event);
      },
      releaseOnCancel: () => this.releaseOnCancel,
    });
    this.metrics = metrics;
  }

  private readonly metrics: LeaderElectionMetrics;

  /**
   * Changes whether a voluntary stop releases the lock (see `releaseOnCancel`). It is read when
   * the release would happen, after tracked work has drained: calling it while the elector drains
   * still counts (the CLI allows the release only once its command is confirmed dead).
   */
  setReleaseOnCancel(release: boolean): void {
    this.releaseOnCancel = release;
  }

  /** Whether the last stop released the lock (an empty holder was written). */
  get released(): boolean {
    return this.keeper.stopOutcome === 'released';
  }

  /** Where the elector is in its life. */
  get state(): LeaseElectorState {
    return this.stateValue;
  }

  currentTerm(): Term | undefined {
    const leadership = this.publisher.leadership;
    return leadership.leading ? leadership.term : undefined;
  }

  currentLeader(): string | undefined {
    return this.publisher.leader;
  }

  whenLeading(signal?: AbortSignal): Promise<Term> {
    return this.publisher.whenLeading(this.lockDescription, signal);
  }

  /**
   * The watchdog: false when this replica holds the lock but has not renewed it for leaseDuration
   * plus the health tolerance (which a working elector never allows: it steps down at
   * renewDeadline). Always true when not leading.
   */
  healthy(): boolean {
    const term = this.keeper.term;
    if (term === undefined || term.hasEnded()) return true;
    return this.clock.now() - term.lastRenewedAt <= this.timings.leaseDuration + this.healthTolerance;
  }

  checkHealth(): void {
    const term = this.keeper.term;
    if (this.healthy() || term === undefined) return;
    const since = Math.round(this.clock.now() - term.lastRenewedAt);
    throw new LeaderElectionError(
      'unhealthy',
      `${this.lockDescription}: ${this.identity} leads but has not renewed for ${since} ms ` +
        `(limit: leaseDuration ${this.timings.leaseDuration} ms + tolerance ${this.healthTolerance} ms); ` +
        'the elector is stuck (event loop blocked?)',
    );
  }

  async run(signal: AbortSignal): Promise<void> {
    if (this.stateValue !== 'idle') {
      throw new LeaderElectionError(
        'invalidConfig',
        `${this.lockDescription}: run() may be called only once`,
      );
    }
    this.stateValue = 'following';
    this.logger.info(
      { lock: this.lockDescription, identity: this.identity, ...this.timings },
      'starting leader election',
    );
    const onStop = (): void => {
      this.stateValue = 'stopping';
    };
    signal.addEventListener('abort', onStop, { once: true });
    this.campaign.rehearse();
    const stopWatch = new AbortController();
    const watching = this.watcher?.run(stopWatch.signal) ?? Promise.resolve();
    try {
      while (!signal.aborted) {
        try {
          const acquired = await this.campaign.follow(signal);
          if (acquired === undefined) break;
          if (!isAborted(signal)) this.stateValue = 'leading';
          // lead() publishes the term before its first await, so subscribers start leader-gated
          // work first; closing the watch (an aborted request's teardown, about a millisecond)
          // comes after, off the path from the acquiring write's answer to that work. Its events
          // are ignored from before the publication, as if it were closed already: nothing a
          // subscriber does can end the term before it has been counted, logged and recorded.
          this.watcher?.mute();
          try {
            const leading = this.keeper.lead(acquired.term, acquired.held, signal);
            this.watcher?.pause();
            await leading;
          } finally {
            this.watcher?.resume();
            if (!isAborted(signal)) this.stateValue = 'following';
          }
        } catch (error: unknown) {
          // A bug, not an API failure (those are handled where they happen): never crash, retry.
          this.logger.error(
            { lock: this.lockDescription, err: error },
            'unexpected error in the election loop; retrying',
          );
          await this.waiter.pause(this.timings.retryPeriod, [signal]);
        }
      }
    } finally {
      signal.removeEventListener('abort', onStop);
      this.stateValue = 'stopping';
      stopWatch.abort();
      await watching;
      this.relays[Symbol.dispose]();
      while (this.pendingEvents.size > 0) await Promise.allSettled([...this.pendingEvents]);
      this.stateValue = 'stopped';
      this.metrics.leading(false);
      this.logger.info({ lock: this.lockDescription, identity: this.identity }, 'leader election stopped');
      this.publisher.complete();
    }
  }

  private recordEvent(event: ElectionEvent): void {
    const recorder = this.events;
    if (recorder === undefined) return;
    const deadline = deadlineSignal(
      this.clock,
      this.timings.renewDeadline,
      [],
      `${this.lockDescription}: event timed out`,
    );
    let recording: Promise<void>;
    try {
      recording = recorder.record(event, deadline.signal);
    } catch (error: unknown) {
      recording = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // Bounded by its deadline even if the recorder ignores the signal: `run` waits for these.
    const bounded = Promise.race([
      recording,
      new Promise<void>((_resolve, reject) => {
        deadline.signal.addEventListener(
          'abort',
          () => {
            reject(deadline.signal.reason as Error);
          },
          { once: true },
        );
      }),
    ]);
    const pending: Promise<void> = bounded
      .catch((error: unknown) => {
        this.logger.debug({ lock: this.lockDescription, err: error }, 'could not record an Event (ignored)');
      })
      .finally(() => {
        deadline[Symbol.dispose]();
        this.pendingEvents.delete(pending);
      });
    this.pendingEvents.add(pending);
  }
}

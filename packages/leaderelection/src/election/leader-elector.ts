import { BehaviorSubject, distinctUntilChanged, Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import { startTimer, systemClock, timerCancelled } from '../clock.js';
import type { Clock } from '../clock.js';
import { LeaderElectionError } from '../leader-election-error.js';
import { hasValidHolder } from '../locks/leader-election-record.js';
import type { LeaderElectionRecord } from '../locks/leader-election-record.js';
import type { Lock, LockSnapshot } from '../locks/lock.js';
import { quietLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import type { EventRecorder, ElectionEvent } from '../observability/event-recorder.js';
import { LeaderElectionMetrics } from '../observability/leader-election-metrics.js';
import { LeaseTerm } from '../term/lease-term.js';
import { AbortRelay } from './abort-relay.js';
import { ConditionLog } from './condition-log.js';
import { deadlineSignal } from './deadline-signal.js';
import type { Elector, Leadership, Term } from './elector.js';
import type { LeaderElectorOptions } from './leader-elector-options.js';
import { jittered, validateLeaseTimings } from './lease-timings.js';
import type { LeaseTimings } from './lease-timings.js';
import { Wakeup } from './wakeup.js';

/** Where an elector is in its life. `run` moves it from `idle` to `running`, then `stopping`, `stopped`. */
export type LeaderElectorState = 'idle' | 'running' | 'stopping' | 'stopped';

/** The lock as this replica last saw it, and when (on its own clock) it saw it change. */
interface Observation {
  /** `undefined`: the object does not exist. */
  readonly snapshot: LockSnapshot | undefined;
  readonly observedAt: number;
}

type Verb = 'get' | 'create' | 'update';

/** How many recent resourceVersions an elector remembers the first sighting of. */
const firstSeenLimit = 16;

/** The longest timer `setTimeout` accepts; "wait until woken" waits this long at most. */
const maxTimer = 2_147_483_647;

/** Reads `signal.aborted` afresh (a call, so that flow analysis does not assume it unchanged). */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function conditionOf(error: LeaderElectionError): string {
  return error.statusCode === undefined ? error.kind : `${error.kind}:${error.statusCode}`;
}

function outcomeOf(error: LeaderElectionError): string {
  if (error.statusCode !== undefined) return String(error.statusCode);
  return error.kind === 'timeout' ? 'timeout' : 'error';
}

/**
 * Lease-based leader election as DESIGN.md specifies it: followers watch the lock and act at the
 * exact moment of a release or expiry (measured on their own monotonic clock from when they saw
 * the record change), a leader renews with one conditional write per retryPeriod and steps down
 * the moment renewDeadline has passed since the start of its last successful renew, and every
 * write is a compare-and-swap on the last-read resourceVersion.
 *
 * Construction validates the timings (`LeaderElectionError` kind `invalidConfig`); nothing an API
 * server does makes `run` reject: failures are retried and logged once per distinct condition.
 */
export class LeaderElector implements Elector {
  readonly identity: string;
  readonly lockDescription: string;
  readonly leadership$: Observable<Leadership>;
  readonly leader$: Observable<string | undefined>;
  readonly errors$: Observable<LeaderElectionError>;
  /** The validated timings, in milliseconds. */
  readonly timings: LeaseTimings;

  private readonly lock: Lock;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly random: () => number;
  private releaseOnCancel: boolean;
  private releasedValue = false;
  private readonly drainTimeout: number;
  private readonly healthTolerance: number;
  private readonly requestTimeout: number;
  private readonly watchEnabled: boolean;
  private readonly watchWhileLeading: boolean;
  private readonly metrics: LeaderElectionMetrics;
  private readonly events: EventRecorder | undefined;
  private readonly conditions: ConditionLog;
  private readonly leadershipSubject = new BehaviorSubject<Leadership>({ leading: false });
  private readonly leaderSubject = new BehaviorSubject<string | undefined>(undefined);
  private readonly errorsSubject = new Subject<LeaderElectionError>();
  private readonly wakeup = new Wakeup();
  /** One relay per signal the waits listen to (`run`'s and the watch loop's), for the run's duration. */
  private readonly relays = new Map<AbortSignal, AbortRelay>();
  private readonly pendingEvents = new Set<Promise<void>>();
  /** resourceVersion → when we first saw it (the most recent few). */
  private readonly firstSeen = new Map<string, number>();

  private stateValue: LeaderElectorState = 'idle';
  private observation: Observation | undefined;
  private term: LeaseTerm | undefined;
  /** The lock as our last successful write left it, while we hold it. */
  private held: LockSnapshot | undefined;
  private watchUp = false;
  /** With `watchWhileLeading: false`: ends the open watch (when a term starts). */
  private closeWatch: AbortController | undefined;
  /** With `watchWhileLeading: false`: lets the watch loop re-open the watch (when a term ends). */
  private reopenWatch: (() => void) | undefined;

  constructor(options: LeaderElectorOptions) {
    this.lock = options.lock;
    this.lockDescription = options.lock.description;
    if (options.identity !== undefined && options.identity !== options.lock.identity) {
      throw new LeaderElectionError(
        'invalidConfig',
        `${this.lockDescription}: identity "${options.identity}" differs from the lock's identity "${options.lock.identity}"; set it in one place`,
      );
    }
    this.identity = options.lock.identity;
    if (this.identity === '') {
      throw new LeaderElectionError('invalidConfig', `${this.lockDescription}: identity must not be empty`);
    }
    this.timings = validateLeaseTimings(this.lockDescription, options);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? quietLogger;
    this.random = options.random ?? Math.random;
    this.releaseOnCancel = options.releaseOnCancel ?? false;
    this.drainTimeout = options.drainTimeout ?? this.timings.renewDeadline;
    this.healthTolerance = options.healthTolerance ?? this.timings.retryPeriod;
    this.requestTimeout = options.requestTimeout ?? this.timings.renewDeadline / 2;
    if (!(this.requestTimeout > 0)) {
      throw new LeaderElectionError(
        'invalidConfig',
        `${this.lockDescription}: requestTimeout (${String(options.requestTimeout)} ms) must be positive`,
      );
    }
    this.watchEnabled = options.watch ?? true;
    this.watchWhileLeading = options.watchWhileLeading ?? false;
    this.metrics = new LeaderElectionMetrics(options.lock.name, options.registry);
    this.events =
      options.eventRecorder === null ? undefined : (options.eventRecorder ?? options.lock.eventRecorder);
    this.conditions = new ConditionLog(this.logger, { lock: this.lockDescription, identity: this.identity });
    this.leadership$ = this.leadershipSubject.asObservable().pipe(distinctUntilChanged());
    this.leader$ = this.leaderSubject.asObservable().pipe(distinctUntilChanged());
    this.errors$ = this.errorsSubject.asObservable();
  }

  /**
   * Changes whether a voluntary stop releases the lock (see `releaseOnCancel`); takes effect if
   * called before `run`'s signal aborts. The CLI releases when its command exits by itself.
   */
  setReleaseOnCancel(release: boolean): void {
    this.releaseOnCancel = release;
  }

  /** Whether the last stop released the lock (an empty holder was written). */
  get released(): boolean {
    return this.releasedValue;
  }

  /** Where the elector is in its life. */
  get state(): LeaderElectorState {
    return this.stateValue;
  }

  currentTerm(): Term | undefined {
    const leadership = this.leadershipSubject.value;
    return leadership.leading ? leadership.term : undefined;
  }

  /** The identity last observed holding the lock (`undefined` for none). */
  currentLeader(): string | undefined {
    return this.leaderSubject.value;
  }

  whenLeading(signal?: AbortSignal): Promise<Term> {
    return new Promise<Term>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        subscription.unsubscribe();
        reject(signal?.reason as Error);
      };
      const subscription = this.leadershipSubject.subscribe({
        next: (leadership) => {
          if (!leadership.leading) return;
          signal?.removeEventListener('abort', onAbort);
          resolve(leadership.term);
          queueMicrotask(() => {
            subscription.unsubscribe();
          });
        },
        complete: () => {
          signal?.removeEventListener('abort', onAbort);
          reject(
            new LeaderElectionError(
              'stopped',
              `${this.lockDescription}: the elector stopped before acquiring`,
            ),
          );
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * The watchdog: false when this replica holds the lock but has not renewed it for leaseDuration
   * plus the health tolerance (which a working elector never allows: it steps down at
   * renewDeadline). Always true when not leading.
   */
  healthy(): boolean {
    const term = this.term;
    if (term === undefined || term.hasEnded()) return true;
    return this.clock.now() - term.lastRenewedAt <= this.timings.leaseDuration + this.healthTolerance;
  }

  /** Like {@link healthy}, for health endpoints: throws `LeaderElectionError` kind `unhealthy` saying why. */
  checkHealth(): void {
    const term = this.term;
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
    this.stateValue = 'running';
    this.logger.info(
      { lock: this.lockDescription, identity: this.identity, ...this.timings },
      'starting leader election',
    );
    const stopWatch = new AbortController();
    const watching = this.watchEnabled ? this.watchLoop(stopWatch.signal) : Promise.resolve();
    try {
      while (!signal.aborted || this.term !== undefined) {
        try {
          if (this.term === undefined) await this.follow(signal);
          else await this.lead(this.term, signal);
        } catch (error: unknown) {
          // A bug, not an API failure (those are handled where they happen): never crash, retry.
          this.logger.error(
            { lock: this.lockDescription, err: error },
            'unexpected error in the election loop; retrying',
          );
          if (this.term !== undefined) this.loseTerm(this.term, 'unexpected error');
          await this.pause(this.timings.retryPeriod, [signal]);
        }
      }
    } finally {
      this.stateValue = 'stopping';
      stopWatch.abort();
      await watching;
      for (const relay of this.relays.values()) relay[Symbol.dispose]();
      this.relays.clear();
      while (this.pendingEvents.size > 0) await Promise.allSettled([...this.pendingEvents]);
      this.stateValue = 'stopped';
      this.metrics.leading(false);
      this.logger.info({ lock: this.lockDescription, identity: this.identity }, 'leader election stopped');
      this.leadershipSubject.complete();
      this.leaderSubject.complete();
      this.errorsSubject.complete();
    }
  }

  // ---- following --------------------------------------------------------------------------

  private async follow(stop: AbortSignal): Promise<void> {
    const { retryPeriod } = this.timings;
    let needRead = this.observation === undefined || !this.watchEnabled;
    /** When to poll next (while the watch is down), on our clock; kept across early wake-ups. */
    let pollAt: number | undefined;
    while (!stop.aborted && this.term === undefined) {
      if (needRead) {
        needRead = false;
        pollAt = undefined;
        if (!(await this.read(stop))) {
          needRead = true;
          await this.pause(jittered(retryPeriod, this.random), [stop]);
          continue;
        }
      }
      const observation = this.observation;
      if (observation === undefined) {
        needRead = true;
        continue;
      }
      const now = this.clock.now();
      const expiry = this.expiryOf(observation);
      if (now >= expiry) {
        const outcome = await this.acquire(observation.snapshot);
        if (outcome === 'acquired') return;
        needRead = true;
        if (outcome === 'failed') await this.pause(jittered(retryPeriod, this.random), [stop]);
        continue;
      }
      if (this.watchUp) pollAt = undefined;
      else pollAt ??= now + jittered(retryPeriod, this.random);
      const wakeAt = Math.min(expiry, pollAt ?? Infinity);
      const timedOut = await this.pause(wakeAt - now, [stop]);
      // A timer may fire a fraction of a millisecond before the monotonic clock says it is due.
      if (pollAt !== undefined && (this.clock.now() >= pollAt || (timedOut && wakeAt === pollAt)))
        needRead = true;
    }
  }

  /** When the observed holder's claim lapses, on our clock; `-Infinity` when nobody validly holds it. */
  private expiryOf(observation: Observation): number {
    const record = observation.snapshot?.record;
    if (!hasValidHolder(record) || record.holderIdentity === this.identity) return -Infinity;
    return observation.observedAt + record.leaseDurationSeconds * 1000;
  }

  private async read(stop: AbortSignal): Promise<boolean> {
    try {
      const snapshot = await this.request(
        'get',
        (signal) => this.lock.get(signal),
        this.timings.renewDeadline,
        [stop],
      );
      this.conditions.ok('read', `${this.lockDescription}: reading the lock works again`);
      this.observe(snapshot);
      return true;
    } catch (error: unknown) {
      if (stop.aborted) return false;
      this.reportFailure('read', 'reading the lock', error);
      return false;
    }
  }

  private async acquire(previous: LockSnapshot | undefined): Promise<'acquired' | 'conflict' | 'failed'> {
    const start = this.clock.now();
    const wallNow = new Date();
    const record: LeaderElectionRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.timings.leaseDuration / 1000),
      acquireTime: wallNow,
      renewTime: wallNow,
      leaseTransitions: previous === undefined ? 0 : (previous.record?.leaseTransitions ?? 0) + 1,
    };
    // Not bounded by the stop signal: if the write lands, we lead, and a stop then releases properly.
    try {
      const snapshot =
        previous === undefined
          ? await this.request(
              'create',
              (signal) => this.lock.create(record, signal),
              this.timings.renewDeadline,
              [],
            )
          : await this.request(
              'update',
              (signal) => this.lock.update(record, previous.resourceVersion, signal),
              this.timings.renewDeadline,
              [],
            );
      this.conditions.ok('acquire', `${this.lockDescription}: acquiring works again`);
      const term = new LeaseTerm(
        this.identity,
        record.leaseTransitions,
        start,
        wallNow,
        this.timings.renewDeadline,
        this.timings.leaseDuration,
        this.clock,
      );
      this.held = snapshot;
      this.term = term;
      this.observe(snapshot);
      if (!term.isValid()) {
        // The answer came later than renewDeadline: the claim had lapsed before we knew we had it.
        this.term = undefined;
        term.end(new LeaderElectionError('lost', `${this.lockDescription}: acquired too late to lead`));
        return 'failed';
      }
      this.startTerm(term);
      return 'acquired';
    } catch (error: unknown) {
      if (LeaderElectionError.is(error, 'lockConflict')) {
        this.logger.debug({ lock: this.lockDescription, err: error }, 'conflict while acquiring; re-reading');
        return 'conflict';
      }
      this.reportFailure('acquire', 'acquiring the lock', error);
      return 'failed';
    }
  }

  // ---- leading ----------------------------------------------------------------------------

  private startTerm(term: LeaseTerm): void {
    this.closeWatch?.abort(timerCancelled);
    this.metrics.leading(true);
    this.metrics.transition('acquired');
    this.logger.info(
      { lock: this.lockDescription, identity: this.identity, epoch: term.epoch },
      `${this.identity} became leader`,
    );
    this.leadershipSubject.next({ leading: true, term });
    this.recordEvent({ type: 'Normal', reason: 'LeaderElection', message: `${this.identity} became leader` });
  }

  /** Ends `term` involuntarily (or at release): the lock is not, or no longer, ours. */
  private loseTerm(term: LeaseTerm, why: string): void {
    if (term.hasEnded()) return;
    const wasActive = term.state === 'active';
    term.end(
      new LeaderElectionError('lost', `${this.lockDescription}: ${this.identity} lost the lease: ${why}`),
    );
    if (wasActive) this.stoppedLeading(why, 'Warning');
    this.logger.warn(
      { lock: this.lockDescription, identity: this.identity, epoch: term.epoch },
      `lost the lease: ${why}`,
    );
    this.wakeup.notify();
  }

  private stoppedLeading(why: string, type: ElectionEvent['type']): void {
    this.metrics.leading(false);
    this.metrics.transition('lost');
    this.leadershipSubject.next({ leading: false });
    this.recordEvent({ type, reason: 'LeaderElection', message: `${this.identity} stopped leading: ${why}` });
  }

  private async lead(term: LeaseTerm, stop: AbortSignal): Promise<void> {
    const { retryPeriod } = this.timings;
    let nextRenew = term.lastRenewedAt + retryPeriod;
    const drain = { done: false };
    try {
      while (!term.hasEnded()) {
        if (stop.aborted && term.state === 'active') {
          term.stopLeading(
            new LeaderElectionError('stopped', `${this.lockDescription}: the elector is stopping`),
          );
          this.stoppedLeading('the elector is stopping', 'Normal');
          void term.drain(this.drainTimeout).then(() => {
            drain.done = true;
            this.wakeup.notify();
          });
        }
        if (term.state === 'draining' && drain.done) break;
        const now = this.clock.now();
        if (now >= term.validUntil()) {
          this.loseTerm(term, `no successful renew within renewDeadline (${this.timings.renewDeadline} ms)`);
          break;
        }
        if (now < nextRenew) {
          const due = Math.min(nextRenew, term.validUntil());
          const timedOut = await this.pause(due - now, term.state === 'active' ? [stop] : []);
          // A timer may fire a fraction of a millisecond before the monotonic clock says it is
          // due: renew then rather than wait (and pay for) another timer of under a millisecond.
          if (timedOut && due === nextRenew) nextRenew = Math.min(nextRenew, this.clock.now());
          continue;
        }
        nextRenew = now + retryPeriod;
        await this.renew(term);
      }
      if (!term.hasEnded()) {
        if (this.releaseOnCancel) await this.release(term);
        else term.end(new LeaderElectionError('stopped', `${this.lockDescription}: the elector stopped`));
      }
    } finally {
      this.term = undefined;
      this.held = undefined;
      const reopen = this.reopenWatch;
      this.reopenWatch = undefined;
      reopen?.();
    }
  }

  private recordFor(term: LeaseTerm): LeaderElectionRecord {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.timings.leaseDuration / 1000),
      acquireTime: term.acquireTime,
      renewTime: new Date(),
      leaseTransitions: term.epoch,
    };
  }

  /** One conditional write; after a conflict, one read and (if still ours) another write. */
  private async renew(term: LeaseTerm): Promise<void> {
    let resourceVersion = this.held?.resourceVersion;
    for (let attempt = 0; attempt < 3 && resourceVersion !== undefined; attempt++) {
      const start = this.clock.now();
      const left = term.validUntil() - start;
      if (left <= 0) return;
      const version: string = resourceVersion;
      try {
        const snapshot = await this.request(
          'update',
          (signal) => this.lock.update(this.recordFor(term), version, signal),
          left,
          [],
        );
        if (term.hasEnded()) return;
        term.renewed(start);
        this.held = snapshot;
        this.conditions.ok('renew', `${this.lockDescription}: renewing works again`);
        this.observe(snapshot);
        return;
      } catch (error: unknown) {
        if (term.hasEnded()) return;
        if (!LeaderElectionError.is(error, 'lockConflict')) {
          this.reportFailure('renew', 'renewing the lease', error);
          return;
        }
      }
      // Someone wrote the lock since our last write (or our last write's answer was lost): re-read.
      this.metrics.slowPath();
      let current: LockSnapshot | undefined;
      try {
        current = await this.request(
          'get',
          (signal) => this.lock.get(signal),
          term.validUntil() - this.clock.now(),
          [],
        );
      } catch (error: unknown) {
        if (!term.hasEnded()) this.reportFailure('renew', 'reading the lock after a conflict', error);
        return;
      }
      this.observe(current);
      if (term.hasEnded()) return;
      if (current?.record?.holderIdentity !== this.identity) {
        this.loseTerm(
          term,
          current === undefined ? 'the lock was deleted' : 'the lock was cleared by someone else',
        );
        return;
      }
      resourceVersion = current.resourceVersion;
    }
  }

  /** Writes an empty holder, conditionally, retrying on conflict while the lock is still ours. */
  private async release(term: LeaseTerm): Promise<void> {
    // From here on we no longer claim the lock.
    term.end(new LeaderElectionError('stopped', `${this.lockDescription}: released`));
    const { renewDeadline, retryPeriod } = this.timings;
    const giveUpAt = this.clock.now() + renewDeadline;
    let resourceVersion = this.held?.resourceVersion;
    while (resourceVersion !== undefined && this.clock.now() < giveUpAt) {
      const version: string = resourceVersion;
      const wallNow = new Date();
      const record: LeaderElectionRecord = {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: wallNow,
        renewTime: wallNow,
        leaseTransitions: term.epoch,
      };
      try {
        const snapshot = await this.request(
          'update',
          (signal) => this.lock.update(record, version, signal),
          giveUpAt - this.clock.now(),
          [],
        );
        this.observe(snapshot);
        this.releasedValue = true;
        this.logger.info({ lock: this.lockDescription, identity: this.identity }, 'released the lease');
        return;
      } catch (error: unknown) {
        if (!LeaderElectionError.is(error, 'lockConflict')) {
          this.reportFailure('release', 'releasing the lease', error);
          await this.pause(Math.min(retryPeriod, giveUpAt - this.clock.now()), []);
          continue;
        }
      }
      try {
        const current = await this.request(
          'get',
          (signal) => this.lock.get(signal),
          giveUpAt - this.clock.now(),
          [],
        );
        this.observe(current);
        resourceVersion =
          current?.record?.holderIdentity === this.identity ? current.resourceVersion : undefined;
      } catch (error: unknown) {
        this.reportFailure('release', 'reading the lock before releasing', error);
        await this.pause(Math.min(retryPeriod, giveUpAt - this.clock.now()), []);
      }
    }
  }

  // ---- observing --------------------------------------------------------------------------

  /** Takes in the lock's state from any source (read, write, watch). */
  private observe(snapshot: LockSnapshot | undefined): void {
    const previous = this.observation;
    if (
      previous !== undefined &&
      previous.snapshot?.resourceVersion === snapshot?.resourceVersion &&
      (previous.snapshot === undefined) === (snapshot === undefined)
    ) {
      return;
    }
    this.observation = { snapshot, observedAt: this.firstSeenAt(snapshot) };
    const record = snapshot?.record;
    const holder = hasValidHolder(record) ? record.holderIdentity : undefined;
    if (snapshot !== undefined) this.checkRecord(record);
    this.leaderSubject.next(holder);
    const term = this.term;
    if (term !== undefined && holder !== undefined && holder !== this.identity) {
      this.loseTerm(term, `${holder} holds the lock`);
    }
    this.wakeup.notify();
  }

  /**
   * When we first saw this version of the lock: now, unless a stale answer (a reordered read, a
   * late watch event) came in between and we are seeing the current version again. The record has
   * been at that version at least since then, so expiry may count from then (and must, or every
   * stale answer would restart the wait).
   */
  private firstSeenAt(snapshot: LockSnapshot | undefined): number {
    const now = this.clock.now();
    if (snapshot === undefined) return now;
    const seen = this.firstSeen.get(snapshot.resourceVersion);
    if (seen !== undefined) return seen;
    this.firstSeen.set(snapshot.resourceVersion, now);
    if (this.firstSeen.size > firstSeenLimit) {
      const oldest = this.firstSeen.keys().next();
      if (oldest.done !== true) this.firstSeen.delete(oldest.value);
    }
    return now;
  }

  /** Logs (once) a record that other software wrote in a form we cannot time. */
  private checkRecord(record: LeaderElectionRecord | undefined): void {
    const free = 'treating the lock as free (it is still only replaced by compare-and-swap)';
    if (record === undefined) {
      this.conditions.fail(
        'record',
        'unreadable',
        `${this.lockDescription}: the lock holds no readable leader record; ${free}`,
      );
    } else if (record.holderIdentity !== '' && record.leaseDurationSeconds <= 0) {
      this.conditions.fail(
        'record',
        'noDuration',
        `${this.lockDescription}: the record names holder "${record.holderIdentity}" without a positive leaseDurationSeconds; ${free}`,
      );
    } else {
      this.conditions.ok('record', `${this.lockDescription}: the leader record is readable`);
    }
  }

  private async watchLoop(signal: AbortSignal): Promise<void> {
    let resourceVersion: string | undefined;
    while (!signal.aborted) {
      if (!this.watchWhileLeading && this.term !== undefined) {
        // Closed while we lead (watchWhileLeading: false); re-opened from what we saw last.
        this.setWatchUp(false);
        await this.whileLeading(signal);
        resourceVersion = this.observation?.snapshot?.resourceVersion ?? resourceVersion;
        continue;
      }
      // watchWhileLeading: false: a signal of our own, so that a term's start can end the watch.
      const close = this.watchWhileLeading ? undefined : new AbortController();
      const onStop = (): void => {
        close?.abort(signal.reason);
      };
      if (close !== undefined) signal.addEventListener('abort', onStop, { once: true });
      this.closeWatch = close;
      const watch = { established: false };
      const startedAt = this.clock.now();
      let failure: unknown;
      try {
        await this.lock.watch(
          resourceVersion,
          {
            onEstablished: () => {
              watch.established = true;
              this.metrics.request('watch', '200');
              this.setWatchUp(true);
            },
            onEvent: (event) => {
              switch (event.type) {
                case 'bookmark':
                  resourceVersion = event.resourceVersion;
                  break;
                case 'deleted':
                  resourceVersion = event.resourceVersion;
                  this.observe(undefined);
                  break;
                case 'changed':
                  resourceVersion = event.snapshot.resourceVersion;
                  this.observe(event.snapshot);
                  break;
              }
            },
          },
          close?.signal ?? signal,
        );
      } catch (error: unknown) {
        failure = error;
      }
      this.closeWatch = undefined;
      signal.removeEventListener('abort', onStop);
      if (isAborted(signal)) break;
      // A term started: the loop's top closes it until the term ends.
      if (close?.signal.aborted === true) continue;
      if (failure === undefined && watch.established) {
        // A quiet end (the server's or client-node's inactivity timeout): resume where we were.
        this.conditions.ok('watch', `${this.lockDescription}: watching the lock works again`);
        continue;
      }
      if (watch.established && this.clock.now() - startedAt >= this.timings.retryPeriod) {
        // A long-lived watch broke (connection reset): try once at once before falling back to polling.
        this.logger.debug({ lock: this.lockDescription, err: failure }, 'the watch broke; re-watching');
        continue;
      }
      this.setWatchUp(false);
      if (LeaderElectionError.is(failure, 'watchExpired')) {
        // 410: our resourceVersion is too old. Start over from the current state.
        this.logger.debug({ lock: this.lockDescription }, 'watch expired (410); relisting');
        if (resourceVersion !== undefined) {
          resourceVersion = undefined;
          continue;
        }
      }
      if (failure === undefined) {
        this.conditions.fail(
          'watch',
          'closed',
          `${this.lockDescription}: the watch closed before it was established; polling every retryPeriod meanwhile`,
        );
      } else {
        if (LeaderElectionError.is(failure)) this.metrics.request('watch', outcomeOf(failure));
        this.reportFailure('watch', 'watching the lock (polling every retryPeriod meanwhile)', failure);
      }
      await this.pause(jittered(this.timings.retryPeriod, this.random), [signal], false);
    }
    this.setWatchUp(false);
  }

  /** Resolves when the current term is over (`this.term` cleared) or `signal` aborts. */
  private whileLeading(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.reopenWatch = undefined;
        resolve();
      };
      this.reopenWatch = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private setWatchUp(up: boolean): void {
    if (this.watchUp === up) return;
    this.watchUp = up;
    this.wakeup.notify();
  }

  // ---- plumbing ---------------------------------------------------------------------------

  /**
   * Runs one lock request bounded by `timeoutMs` (and `parents`), counting it in the metrics and
   * turning any failure into a `LeaderElectionError`. Settles when its signal aborts, even if the
   * lock does not.
   */
  private async request<T>(
    verb: Verb,
    call: (signal: AbortSignal) => Promise<T>,
    timeoutMs: number,
    parents: readonly AbortSignal[],
  ): Promise<T> {
    timeoutMs = Math.min(timeoutMs, this.requestTimeout);
    try {
      const result = await this.bounded(verb, call, timeoutMs, parents);
      this.metrics.request(verb, '200');
      return result;
    } catch (error: unknown) {
      const failure = LeaderElectionError.is(error)
        ? error
        : new LeaderElectionError('apiError', `${this.lockDescription}: ${verb} failed: ${String(error)}`, {
            cause: error,
          });
      this.metrics.request(verb, outcomeOf(failure));
      throw failure;
    }
  }

  /**
   * Calls `call` with a signal that aborts after `timeoutMs` on the clock (reason: a
   * `LeaderElectionError` of kind `timeout`) or with the first of `parents` to abort (its reason),
   * and settles at once when it does. The equivalent of `deadlineSignal` without
   * `AbortSignal.any` and with one controller (the call's) and one clock timer: on the renew path
   * of a thousand electors every object per request shows in their CPU. The timer and every
   * listener go away when it settles; the call's signal is never aborted after it has settled.
   */
  private bounded<T>(
    verb: Verb,
    call: (signal: AbortSignal) => Promise<T>,
    timeoutMs: number,
    parents: readonly AbortSignal[],
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      for (const parent of parents) {
        if (parent.aborted) {
          reject(parent.reason as Error);
          return;
        }
      }
      const controller = new AbortController();
      let settled = false;
      /** Ends the wait: removes the parents' listeners and (unless it fired) cancels the timer. */
      const settle = (timerFired: boolean): boolean => {
        if (settled) return false;
        settled = true;
        for (const parent of parents) this.relayOf(parent).delete(onParentAbort);
        if (!timerFired) timer.cancel();
        return true;
      };
      const onParentAbort = (): void => {
        const parent = parents.find((candidate) => candidate.aborted);
        if (!settle(false)) return;
        controller.abort(parent?.reason);
        reject(controller.signal.reason as Error);
      };
      const timer = startTimer(this.clock, Math.max(0, timeoutMs), () => {
        if (!settle(true)) return;
        controller.abort(
          new LeaderElectionError(
            'timeout',
            `${this.lockDescription}: ${verb} timed out after ${Math.round(timeoutMs)} ms`,
          ),
        );
        reject(controller.signal.reason as Error);
      });
      for (const parent of parents) this.relayOf(parent).add(onParentAbort);
      let pending: Promise<T>;
      try {
        pending = call(controller.signal);
      } catch (error: unknown) {
        settle(false);
        // As a Promise executor would: `request` turns whatever it is into a LeaderElectionError.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
        return;
      }
      pending.then(
        (value) => {
          if (settle(false)) resolve(value);
        },
        (error: unknown) => {
          if (settle(false)) reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private reportFailure(channel: string, doing: string, error: unknown): void {
    const failure = LeaderElectionError.is(error)
      ? error
      : new LeaderElectionError('apiError', String(error), { cause: error });
    this.conditions.fail(
      channel,
      conditionOf(failure),
      `${this.lockDescription}: ${doing} failed (${failure.message}); retrying`,
      failure,
    );
    this.errorsSubject.next(failure);
  }

  /**
   * Waits `ms` on the clock, or until woken (a new observation, a change of the watch, a lost
   * term), or until one of `signals` aborts. Resolves `true` when the time ran out; never rejects.
   * Leaves no timer or listener behind.
   */
  private pause(ms: number, signals: readonly AbortSignal[], wake = true): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(true);
    for (const signal of signals) if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (timedOut: boolean): void => {
        if (done) return;
        done = true;
        for (const signal of signals) this.relayOf(signal).delete(cancel);
        if (wake) this.wakeup.delete(cancel);
        if (!timedOut) timer.cancel();
        resolve(timedOut);
      };
      const cancel = (): void => {
        finish(false);
      };
      const timer = startTimer(this.clock, Math.min(ms, maxTimer), () => {
        finish(true);
      });
      for (const signal of signals) this.relayOf(signal).add(cancel);
      if (wake) this.wakeup.add(cancel);
    });
  }

  /** The relay of `signal` (made at first use, disposed when `run` ends). */
  private relayOf(signal: AbortSignal): AbortRelay {
    let relay = this.relays.get(signal);
    if (relay === undefined) {
      relay = new AbortRelay(signal);
      this.relays.set(signal, relay);
    }
    return relay;
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
    const pending: Promise<void> = recorder
      .record(event, deadline.signal)
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

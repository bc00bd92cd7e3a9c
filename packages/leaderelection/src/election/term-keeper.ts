import type { Subject } from 'rxjs';
import { wallTime, type Clock } from '../clock.js';
import { LeaderElectionError } from '../leader-election-error.js';
import type { Logger } from '../logger.js';
import { hasValidHolder, isReleased, type LeaderElectionRecord } from '../locks/leader-election-record.js';
import type { Lock, LockSnapshot } from '../locks/lock.js';
import type { ElectionEvent } from '../observability/event-recorder.js';
import type { LeaderElectionMetrics } from '../observability/leader-election-metrics.js';
import type { LeaseTerm } from '../term/lease-term.js';
import type { ConditionLog } from './condition-log.js';
import type { LeadershipPublisher } from './leadership-publisher.js';
import type { LeaseTimings } from './lease-timings.js';
import type { LockObserver } from './lock-observer.js';
import { isReleaseRecord, releaseRecord } from './release-record.js';
import type { RequestRunner } from './request-runner.js';
import type { Waiter } from './waiter.js';

/** What a {@link TermKeeper} needs from its elector. */
export interface TermKeeperOptions {
  readonly identity: string;
  readonly description: string;
  readonly timings: LeaseTimings;
  readonly lock: Lock;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly conditions: ConditionLog;
  readonly metrics: LeaderElectionMetrics;
  readonly observer: LockObserver;
  readonly waiter: Waiter;
  readonly requests: RequestRunner;
  readonly publisher: LeadershipPublisher;
  readonly errors: Subject<LeaderElectionError>;
  readonly drainTimeout: number;
  /** Records a Kubernetes Event (fire-and-forget). */
  readonly recordEvent: (event: ElectionEvent) => void;
  /** Whether a voluntary stop releases the lock (read when the stop happens). */
  readonly releaseOnCancel: () => boolean;
}

/** What a renew writes next: over a version, or a new object (the lock was deleted from under us). */
type RenewTarget = { readonly resourceVersion: string } | 'create';

/** A voluntary stop's wait for tracked work. */
interface Drain {
  done: boolean;
  timedOut: boolean;
  pending: readonly string[];
  /** Ends the wait when leading ends first. */
  readonly cancel: AbortController;
}

/** What happened to a term's lock when it ended on a voluntary stop. */
export type StopOutcome = 'released' | 'kept' | 'drainTimedOut';

/**
 * The leader: renews with one conditional write per retryPeriod, steps down the moment
 * renewDeadline has passed since the start of its last successful renew or another holder shows,
 * and on a voluntary stop drains tracked work while still renewing, then releases — but only when
 * the work has settled. Every way out of {@link TermKeeper.lead} ends the term.
 */
export class TermKeeper {
  private current: LeaseTerm | undefined;
  /** The lock as our last successful write left it, while we hold it. */
  private held: LockSnapshot | undefined;
  private lastStop: StopOutcome | undefined;

  constructor(private readonly options: TermKeeperOptions) {}

  /** The term being kept (active or draining), if any. */
  get term(): LeaseTerm | undefined {
    return this.current;
  }

  /** How the last voluntary stop ended, if one did. */
  get stopOutcome(): StopOutcome | undefined {
    return this.lastStop;
  }

  /**
   * Someone else may lead from now (another holder, a duplicate identity, a release not ours): the
   * current term ends at once.
   */
  foreign(why: string, duplicate: boolean): void {
    const term = this.current;
    if (term === undefined || term.hasEnded()) return;
    if (duplicate) this.reportDuplicate(why);
    this.lose(term, why, true);
  }

  /**
   * Leads `term` until it ends; resolves once it has (lost, or stopped by `stop`). The term is
   * published before this returns, by a small method of its own: on a replica's first term nothing
   * else (such as compiling the renew loop) comes between the acquisition and its subscribers.
   */
  lead(term: LeaseTerm, held: LockSnapshot, stop: AbortSignal): Promise<void> {
    this.current = term;
    this.held = held;
    let failure: Error | undefined;
    try {
      this.started(term);
    } catch (error: unknown) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    return this.keep(term, stop, failure);
  }

  /** The renew loop of {@link TermKeeper.lead}; `failure`: an error that ends the term at once. */
  private async keep(term: LeaseTerm, stop: AbortSignal, failure: Error | undefined): Promise<void> {
    const { timings, waiter, clock } = this.options;
    let nextRenew = term.lastRenewedAt + timings.retryPeriod;
    const drain: Drain = { done: false, timedOut: false, pending: [], cancel: new AbortController() };
    try {
      if (failure !== undefined) throw failure;
      while (!term.hasEnded()) {
        if (stop.aborted && term.state === 'active') this.beginDrain(term, drain);
        if (term.state === 'draining' && drain.done) break;
        const now = clock.now();
        if (now >= term.validUntil()) {
          this.lose(term, `no successful renew within renewDeadline (${timings.renewDeadline} ms)`, false);
          break;
        }
        if (now < nextRenew) {
          const due = Math.min(nextRenew, term.validUntil());
          const timedOut = await waiter.pause(due - now, term.state === 'active' ? [stop] : []);
          // A timer may fire a fraction of a millisecond before the monotonic clock says it is
          // due: renew then rather than wait (and pay for) another timer of under a millisecond.
          if (timedOut && due === nextRenew) nextRenew = Math.min(nextRenew, clock.now());
          continue;
        }
        nextRenew = now + timings.retryPeriod;
        await this.renew(term);
      }
      if (!term.hasEnded()) await this.finishStop(term, drain);
    } finally {
      if (!term.hasEnded()) {
        // Only an unexpected error gets here: the term must end all the same.
        this.lose(term, 'unexpected error while leading', false);
      }
      drain.cancel.abort(); // a drain still waiting (the term was lost meanwhile) leaves no timer
      this.current = undefined;
      this.held = undefined;
    }
  }

  /**
   * The term begins: published first (subscribers start leader-gated work synchronously, inside
   * the notification), then counted, logged and recorded as an Event.
   */
  private started(term: LeaseTerm): void {
    const { identity, description, metrics, logger, publisher } = this.options;
    publisher.publishLeadership({ leading: true, term });
    // (Nothing a subscriber does can end the term inside the notification: lock answers come
    // asynchronously and the elector ignores its watch from before the publication, unless it
    // watches while leading; the gauge stays right even if something did.)
    if (!term.hasEnded() && term.state === 'active') metrics.leading(true);
    metrics.transition('acquired');
    logger.info({ lock: description, identity, epoch: term.epoch }, `${identity} became leader`);
    this.options.recordEvent({
      type: 'Normal',
      reason: 'LeaderElection',
      message: `${identity} became leader`,
    });
  }

  /** Voluntary stop: the term's signal aborts now; the lock stays held (and renewed) while work drains. */
  private beginDrain(term: LeaseTerm, drain: Drain): void {
    const { description, drainTimeout, waiter } = this.options;
    term.stopLeading(new LeaderElectionError('stopped', `${description}: the elector is stopping`));
    this.stoppedLeading('the elector is stopping', 'Normal');
    void term.drain(drainTimeout, drain.cancel.signal).then((result) => {
      drain.done = true;
      drain.timedOut = result.timedOut;
      drain.pending = result.pending;
      waiter.notify();
    });
  }

  private async finishStop(
    term: LeaseTerm,
    drain: { readonly timedOut: boolean; readonly pending: readonly string[] },
  ): Promise<void> {
    const { description, drainTimeout, identity } = this.options;
    if (drain.timedOut) {
      const names = drain.pending.join(', ');
      const error = new LeaderElectionError(
        'drainTimeout',
        `${description}: leader-gated work (${names}) did not stop within drainTimeout (${drainTimeout} ms); ` +
          'not releasing the lock: it expires after leaseDuration instead. Make that work honour its AbortSignal',
      );
      this.options.logger.error({ lock: description, identity, pending: drain.pending }, error.message);
      this.options.errors.next(error);
      this.lastStop = 'drainTimedOut';
      term.end(new LeaderElectionError('stopped', `${description}: the elector stopped`));
      return;
    }
    if (this.options.releaseOnCancel()) {
      await this.release(term);
      return;
    }
    this.lastStop = 'kept';
    term.end(new LeaderElectionError('stopped', `${description}: the elector stopped`));
  }

  /** Ends `term` involuntarily (or at release): the lock is not, or no longer, ours. */
  private lose(term: LeaseTerm, why: string, takenOver: boolean): void {
    if (term.hasEnded()) return;
    const { description, identity, logger, waiter } = this.options;
    const wasActive = term.state === 'active';
    term.end(
      new LeaderElectionError('lost', `${description}: ${identity} lost the lease: ${why}`),
      takenOver,
    );
    if (wasActive) this.stoppedLeading(why, 'Warning');
    logger.warn({ lock: description, identity, epoch: term.epoch }, `lost the lease: ${why}`);
    waiter.notify();
  }

  private stoppedLeading(why: string, type: ElectionEvent['type']): void {
    const { metrics, publisher, identity } = this.options;
    metrics.leading(false);
    // A voluntary stop is not a loss: dashboards alerting on losses must not fire on a rollout.
    metrics.transition(type === 'Normal' ? 'stopped' : 'lost');
    publisher.publishLeadership({ leading: false });
    this.options.recordEvent({
      type,
      reason: 'LeaderElection',
      message: `${identity} stopped leading: ${why}`,
    });
  }

  private reportDuplicate(why: string): void {
    const { description, identity } = this.options;
    const error = new LeaderElectionError(
      'duplicateIdentity',
      `${description}: ${why}: two processes use the identity "${identity}"; give every replica a unique identity. ` +
        'This one stops leading and waits for the other to expire',
    );
    this.options.logger.error({ lock: description, identity }, error.message);
    this.options.errors.next(error);
  }

  private recordFor(term: LeaseTerm): LeaderElectionRecord {
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.options.timings.leaseDuration / 1000),
      acquireTime: term.acquireTime,
      renewTime: wallTime(this.options.clock),
      leaseTransitions: term.epoch,
    };
  }

  /**
   * One conditional write; after a conflict, one read and, if the lock is still ours (our record,
   * an unreadable one, or deleted from under us: each counts as ours until it expires elsewhere),
   * another write. At most three writes.
   */
  private async renew(term: LeaseTerm): Promise<void> {
    const { requests, lock, clock, observer, metrics, description } = this.options;
    let target: RenewTarget | undefined =
      this.held === undefined ? undefined : { resourceVersion: this.held.resourceVersion };
    for (let attempt = 0; attempt < 3 && target !== undefined; attempt++) {
      const start = clock.now();
      const left = term.validUntil() - start;
      if (left <= 0) return;
      const version = target;
      try {
        const record = this.recordFor(term);
        const snapshot =
          version === 'create'
            ? await requests.request('create', (signal) => lock.create(record, signal), left, [])
            : await requests.request(
                'update',
                (signal) => lock.update(record, version.resourceVersion, signal),
                left,
                [],
              );
        if (term.hasEnded()) return;
        if (snapshot.resourceVersion === this.held?.resourceVersion) {
          // The server found nothing to change (a lock that stores times coarsely, a stuck wall
          // clock): followers saw no change, so their expiry did not move, and neither may ours.
          this.options.logger.debug({ lock: description }, 'renew changed nothing (same resourceVersion)');
          return;
        }
        term.renewed(start);
        this.held = snapshot;
        this.options.conditions.ok('renew', `${description}: renewing works again`);
        observer.writeAnswer(snapshot);
        return;
      } catch (error: unknown) {
        if (term.hasEnded()) return;
        if (!LeaderElectionError.is(error, 'lockConflict')) {
          requests.reportFailure('renew', 'renewing the lease', error);
          return;
        }
      }
      // Someone wrote the lock since our last write (or our last write's answer was lost): re-read.
      metrics.slowPath();
      const begun = observer.beginRead();
      let current: LockSnapshot | undefined;
      try {
        current = await requests.request(
          'get',
          (signal) => lock.get(signal),
          term.validUntil() - clock.now(),
          [],
        );
      } catch (error: unknown) {
        observer.readFailed();
        if (!term.hasEnded()) requests.reportFailure('renew', 'reading the lock after a conflict', error);
        return;
      }
      observer.readAnswer(current, begun);
      if (term.hasEnded()) return;
      target = this.nextTarget(term, current);
    }
  }

  /** After a conflict: what to write next (`undefined`: the term was lost). */
  private nextTarget(term: LeaseTerm, current: LockSnapshot | undefined): RenewTarget | undefined {
    const { observer, identity } = this.options;
    if (current === undefined) return 'create'; // deleted from under us: ours until it expires elsewhere
    const record = current.record;
    if (record === undefined || observer.isOwn(record)) return { resourceVersion: current.resourceVersion };
    if (hasValidHolder(record)) {
      const duplicate = record.holderIdentity === identity;
      const why = duplicate
        ? `another process holds the lock under this replica's identity "${identity}"`
        : `${record.holderIdentity} holds the lock`;
      if (duplicate) this.reportDuplicate(why);
      this.lose(term, why, true);
      return undefined;
    }
    if (isReleased(record)) {
      this.lose(term, 'the lock was released by someone else', true);
      return undefined;
    }
    return { resourceVersion: current.resourceVersion }; // a holder without a valid duration: overwrite it
  }

  /**
   * Writes an empty holder, conditionally, retrying on conflict while the lock is still ours. The
   * outcome is `released` only when a write was answered, or the lock is read back holding exactly
   * one of the releases sent whose answer was lost (see {@link isReleaseRecord}); else `kept`.
   */
  private async release(term: LeaseTerm): Promise<void> {
    const { description, timings, clock, requests, lock, observer, logger, identity, waiter } = this.options;
    // From here on we no longer claim the lock, and followers may act on the release at once.
    term.end(new LeaderElectionError('stopped', `${description}: released`), true);
    this.lastStop = 'kept';
    const giveUpAt = clock.now() + timings.renewDeadline;
    let resourceVersion = this.held?.resourceVersion;
    /** Releases sent that may have landed without our knowing: their answer was lost. */
    const unanswered: LeaderElectionRecord[] = [];
    while (resourceVersion !== undefined && clock.now() < giveUpAt) {
      const version: string = resourceVersion;
      const record = releaseRecord(term.epoch, wallTime(this.options.clock));
      const begun = observer.beginRead();
      try {
        const snapshot = await requests.request(
          'update',
          (signal) => lock.update(record, version, signal),
          giveUpAt - clock.now(),
          [],
        );
        observer.writeAnswer(snapshot, begun);
        this.lastStop = 'released';
        logger.info({ lock: description, identity }, 'released the lease');
        return;
      } catch (error: unknown) {
        if (!LeaderElectionError.is(error, 'lockConflict')) {
          unanswered.push(record);
          requests.reportFailure('release', 'releasing the lease', error);
          await waiter.pause(Math.min(timings.retryPeriod, giveUpAt - clock.now()), []);
          continue;
        }
        // A 409 to a write sent once: refused. To a write sent again (after an attempt that may have
        // been applied): perhaps our own release in the way of the repeat.
        if (error.resent) unanswered.push(record);
      }
      const readBegun = observer.beginRead();
      try {
        const current = await requests.request(
          'get',
          (signal) => lock.get(signal),
          giveUpAt - clock.now(),
          [],
        );
        observer.readAnswer(current, readBegun);
        if (unanswered.some((sent) => isReleaseRecord(current?.record, sent))) {
          this.lastStop = 'released';
          logger.info({ lock: description, identity }, 'released the lease (its answer was lost; read back)');
          return;
        }
        resourceVersion = observer.isOwn(current?.record) ? current?.resourceVersion : undefined;
      } catch (error: unknown) {
        observer.readFailed();
        requests.reportFailure('release', 'reading the lock before releasing', error);
        await waiter.pause(Math.min(timings.retryPeriod, giveUpAt - clock.now()), []);
      }
    }
  }
}

import { wallTime, type Clock } from '../clock.js';
import { LeaderElectionError } from '../leader-election-error.js';
import type { Logger } from '../logger.js';
import type { LeaderElectionRecord } from '../locks/leader-election-record.js';
import type { Lock, LockSnapshot } from '../locks/lock.js';
import { LeaseTerm } from '../term/lease-term.js';
import type { ConditionLog } from './condition-log.js';
import { jittered, type LeaseTimings } from './lease-timings.js';
import type { LockObserver, Observation } from './lock-observer.js';
import type { LockWatcher } from './lock-watcher.js';
import type { RequestRunner } from './request-runner.js';
import type { Waiter } from './waiter.js';

/** What a {@link Campaign} needs from its elector. */
export interface CampaignOptions {
  readonly identity: string;
  readonly description: string;
  readonly timings: LeaseTimings;
  readonly lock: Lock;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly conditions: ConditionLog;
  readonly observer: LockObserver;
  /** `undefined` when the elector does not watch (it polls, as client-go). */
  readonly watcher: LockWatcher | undefined;
  readonly waiter: Waiter;
  readonly requests: RequestRunner;
}

/**
 * The highest epoch written: a Lease's leaseTransitions is an int32. Past it (only another tool can
 * take it there) the epoch stays, rather than acquiring failing for ever.
 */
const maxEpoch = 2_147_483_647;

/** A term just acquired and the lock as the acquiring write left it. */
export interface Acquired {
  readonly term: LeaseTerm;
  readonly held: LockSnapshot;
}

/**
 * The follower: reads the lock when it knows nothing (or its watch is down), waits for the exact
 * moment the current claim lapses (or a release shows on the watch), then acquires by
 * compare-and-swap. {@link Campaign.follow} resolves with the new term, or `undefined` when `stop`
 * aborted first.
 *
 * A conflict (409: someone wrote first) makes what it knows stale. With its watch up it does not
 * read at once: the write that won is on its way on the watch, and a read would cost the API
 * server and the new leader a round trip at the very moment that leader starts its work. It waits
 * for the watch to bring a newer state, and reads if none came within a jittered retryPeriod or the
 * watch went down meanwhile (an event lost or held up). It never writes again over the version that
 * conflicted; and learning the new holder later only makes it wait longer for that holder's expiry
 * (measured from when it sees the record), never shorter.
 *
 * Creating the lock over an absence whose claim ran out is the one write that compare-and-swap
 * cannot check: an absent lock has no resourceVersion, so the lock re-created and deleted again
 * meanwhile looks the same. It reads first, sending the read after the claim ran out: the answer
 * comes after whatever the watch had delivered by then (a process stopped for a while, by a pause
 * of the world or a blocked event loop, runs its due timers before it reads its sockets; the
 * re-creation waits there).
 */
export class Campaign {
  constructor(private readonly options: CampaignOptions) {}

  /**
   * Builds and uses, once, a term that is never published, and asks the observer about a record:
   * V8 compiles a function at its first call, and without this the term's code would be compiled
   * between the acquiring write's answer and the publication of a replica's first term (a new Pod
   * taking over: the common case). Call before campaigning; it changes no state and never throws
   * (a custom clock that throws here is met again, and handled, by the campaign).
   */
  rehearse(): void {
    const { identity, timings, clock, observer } = this.options;
    try {
      const term = new LeaseTerm(
        identity,
        -1,
        clock.now(),
        wallTime(clock),
        timings.renewDeadline,
        timings.leaseDuration,
        clock,
      );
      if (term.isValid()) void term.runWhileLeading('rehearsal', () => Promise.resolve());
      observer.isOwn(undefined);
    } catch {
      // Only an optimisation: the first term compiles this code instead.
    }
  }

  async follow(stop: AbortSignal): Promise<Acquired | undefined> {
    const { observer, watcher, clock, random, waiter } = this.options;
    const { retryPeriod } = this.options.timings;
    let needRead = observer.observation === undefined || watcher === undefined;
    /** When to poll next (while the watch is down), on our clock; kept across early wake-ups. */
    let pollAt: number | undefined;
    let watchWasUp = watcher?.up ?? false;
    /**
     * After a conflict with the watch up: the observation the conflict showed to be stale, and when
     * (our clock) to read if the watch has not replaced it by then.
     */
    let stale: { readonly observation: Observation | undefined; readonly readAt: number } | undefined;
    /** When the last read was sent, on our clock. */
    let readSentAt = -Infinity;
    /** Acquiring writes in a row answered 409 to their repeat (see below). */
    let resentConflicts = 0;
    while (!stop.aborted) {
      const watchUp = watcher?.up ?? false;
      if (watchWasUp && !watchUp) needRead = true; // the watch just went down: read at once
      if (observer.takeReadWanted()) needRead = true; // the watch and a read disagree (see LockObserver)
      watchWasUp = watchUp;
      if (stale !== undefined && !needRead) {
        if (observer.observation !== stale.observation) {
          stale = undefined; // the watch brought what won
        } else if (!watchUp || clock.now() >= stale.readAt) {
          needRead = true;
        } else {
          // A timer may fire a fraction of a millisecond before the monotonic clock says it is due.
          const timedOut = await waiter.pause(stale.readAt - clock.now(), [stop]);
          if (timedOut) stale = { ...stale, readAt: clock.now() };
          continue;
        }
      }
      if (needRead) {
        needRead = false;
        stale = undefined;
        pollAt = undefined;
        readSentAt = clock.now();
        if (!(await this.read(stop))) {
          needRead = true;
          await waiter.pause(jittered(retryPeriod, random), [stop]);
          continue;
        }
      }
      if (observer.observation === undefined) {
        needRead = true;
        continue;
      }
      const now = clock.now();
      const expiry = observer.expiry();
      if (now >= expiry) {
        const tried = observer.observation;
        if (tried.snapshot === undefined && expiry !== -Infinity && readSentAt < expiry) {
          needRead = true; // creating over an absence whose claim ran out: read first (see above)
          continue;
        }
        const outcome = await this.acquire(tried.snapshot);
        if (typeof outcome === 'object') return outcome;
        if (outcome === 'resentConflict') {
          // Our first attempt may have landed: the record the watch or a read brings may be ours,
          // and is acquired over at once. After three such writes in a row, after a wait that
          // doubles from retryPeriod/8 up to retryPeriod: a connection that breaks after every write
          // would otherwise make that a write per round trip (not woken early: the watch brings the
          // record that write left during the wait).
          resentConflicts++;
          if (resentConflicts > 3) {
            const backoff = Math.min(retryPeriod, (retryPeriod / 8) * 2 ** (resentConflicts - 4));
            await waiter.pause(backoff, [stop], false);
          }
        } else {
          resentConflicts = 0;
        }
        if (outcome !== 'failed' && watcher?.up === true) {
          // Unless the watch has brought it already, wait for it (see the class comment).
          stale = { observation: tried, readAt: clock.now() + jittered(retryPeriod, random) };
          continue;
        }
        needRead = true;
        if (outcome === 'failed') await waiter.pause(jittered(retryPeriod, random), [stop]);
        continue;
      }
      if (watcher?.up === true) pollAt = undefined;
      else pollAt ??= now + jittered(retryPeriod, random);
      const wakeAt = Math.min(expiry, pollAt ?? Infinity);
      const timedOut = await waiter.pause(wakeAt - now, [stop]);
      // A timer may fire a fraction of a millisecond before the monotonic clock says it is due.
      if (pollAt !== undefined && (clock.now() >= pollAt || (timedOut && wakeAt === pollAt))) needRead = true;
    }
    return undefined;
  }

  private async read(stop: AbortSignal): Promise<boolean> {
    const { requests, observer, lock, description } = this.options;
    const begun = observer.beginRead();
    try {
      const snapshot = await requests.request(
        'get',
        (signal) => lock.get(signal),
        this.options.timings.renewDeadline,
        [stop],
      );
      this.options.conditions.ok('read', `${description}: reading the lock works again`);
      observer.readAnswer(snapshot, begun);
      return true;
    } catch (error: unknown) {
      observer.readFailed();
      if (stop.aborted) return false;
      requests.reportFailure('read', 'reading the lock', error);
      return false;
    }
  }

  /**
   * Writes this replica's record over `previous` (creates it when absent). Not bounded by the stop
   * signal: if the write lands we lead, and a stop then ends the term properly.
   */
  private async acquire(
    previous: LockSnapshot | undefined,
  ): Promise<Acquired | 'conflict' | 'resentConflict' | 'failed'> {
    const { identity, description, timings, clock, lock, observer, requests, conditions } = this.options;
    const start = clock.now();
    const wallNow = wallTime(this.options.clock);
    // Above every epoch ever observed (across deletions), and above the record being replaced.
    const epoch = Math.min(
      maxEpoch,
      Math.max(
        observer.nextEpoch(),
        previous === undefined ? 0 : (previous.record?.leaseTransitions ?? 0) + 1,
      ),
    );
    const record: LeaderElectionRecord = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(timings.leaseDuration / 1000),
      acquireTime: wallNow,
      renewTime: wallNow,
      leaseTransitions: epoch,
    };
    // Recognised as our own before it is sent: if the write lands but its answer is lost, the
    // record read back is ours (nobody else writes this epoch and acquire time).
    observer.markOwn({ epoch, acquireTime: wallNow });
    const begun = observer.beginRead();
    this.options.logger.debug(
      { lock: description, epoch, over: previous?.resourceVersion ?? null },
      previous === undefined
        ? `creating the lock, epoch ${epoch}`
        : `acquiring over ${previous.resourceVersion}, epoch ${epoch}`,
    );
    try {
      const snapshot =
        previous === undefined
          ? await requests.request(
              'create',
              (signal) => lock.create(record, signal),
              timings.renewDeadline,
              [],
            )
          : await requests.request(
              'update',
              (signal) => lock.update(record, previous.resourceVersion, signal),
              timings.renewDeadline,
              [],
            );
      conditions.ok('acquire', `${description}: acquiring works again`);
      const term = new LeaseTerm(
        identity,
        epoch,
        start,
        wallNow,
        timings.renewDeadline,
        timings.leaseDuration,
        clock,
      );
      observer.writeAnswer(snapshot, begun);
      if (!term.isValid()) {
        // The answer came later than renewDeadline: the claim had lapsed before we knew we had it.
        term.end(new LeaderElectionError('lost', `${description}: acquired too late to lead`));
        return 'failed';
      }
      return { term, held: snapshot };
    } catch (error: unknown) {
      if (LeaderElectionError.is(error, 'lockConflict')) {
        // A 409 to a write sent once: refused, that record is not ours. A 409 to a write sent again
        // (its connection broke, or a 5xx) says nothing of the first attempt, which may have landed (the
        // 409 is then our own record in the way of the repeat): as for a lost answer, the mark stays,
        // and the record the watch or a read brings is ours only if it has this epoch and acquire
        // time, to the millisecond: a lock storing whole seconds cannot tell our record from that of
        // another process under this identity that won the same epoch in the same second, so there
        // the mark no longer matches (the claim is waited out, as for a refused write).
        if (error.resent) observer.narrowOwn({ epoch, acquireTime: wallNow });
        else observer.unmarkOwn({ epoch, acquireTime: wallNow });
        this.options.logger.debug(
          { lock: description, err: error },
          'conflict while acquiring; learning the newer record from the watch, or by reading',
        );
        return error.resent ? 'resentConflict' : 'conflict';
      }
      requests.reportFailure('acquire', 'acquiring the lock', error);
      return 'failed';
    }
  }
}

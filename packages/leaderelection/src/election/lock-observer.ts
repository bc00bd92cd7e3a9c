import type { Clock } from '../clock.js';
import { hasValidHolder, isReleased } from '../locks/leader-election-record.js';
import type { LeaderElectionRecord } from '../locks/leader-election-record.js';
import type { LockSnapshot, LockWatchEvent } from '../locks/lock.js';
import { AnswerOrder, type ReadTicket } from './answer-order.js';
import type { ConditionLog } from './condition-log.js';
import { nextDeletedClaims, type DeletedClaim, type DeletionContext } from './deleted-claim.js';
import { forgetOldest } from './forget-oldest.js';
import { OwnRecords, type OwnRecord } from './own-records.js';

/** The lock as this replica last saw it, and when (on its own clock) it saw it change. */
export interface Observation {
  /** `undefined`: the object does not exist. */
  readonly snapshot: LockSnapshot | undefined;
  readonly observedAt: number;
}

/**
 * What the last readable record seen allows someone to hold the lock for: the holder's
 * leaseDuration, or (after a release) this elector's own, as someone may have acquired since. It
 * outlives a deletion or an unreadable rewrite of the record.
 */
interface Claim {
  readonly leaseMs: number;
}

/** What the observer tells its elector. */
export interface LockObserverListener {
  /** A newer state was accepted (wake the loops). */
  changed(observation: Observation): void;
  /**
   * The accepted state names a holder that is not one of this replica's terms, or none (released):
   * someone else may lead from now on. `duplicate`: the holder uses this replica's identity.
   */
  foreignState(why: string, duplicate: boolean): void;
  /** A record under this replica's identity that it did not write changed: another process uses the identity. */
  duplicateIdentity(message: string): void;
  /** A read would settle which of two states is newer ({@link LockObserver.takeReadWanted}). */
  readWanted(): void;
}

/**
 * The one owner of what this replica knows about the lock. Every read, write answer and watch
 * event goes through it; it decides which of them are newer than what it has, when the current
 * claim on the lock lapses, and which epoch comes next. Its rules:
 *
 * - **Stale answers are dropped.** A read during which anything else was accepted is dropped
 *   (reads are linearizable: one that began after the last accepted state returns at least that). While a read or write
 *   answer is ahead of the watch (the watch has not delivered that version yet), watch events are
 *   older than it and are dropped: watches deliver in order (bounded by leaseDuration, in case a
 *   stream loses events). A read answered while a watch from the current state was opening may be
 *   older than that watch's first state (versions cannot be compared): a different version from
 *   that watch is dropped, and a read sent now (which returns at least both) settles it.
 * - **Only an explicit release frees a lock at once.** When the lock disappears or becomes
 *   unreadable after this replica saw it readable, it counts as held for a leaseDuration (the last
 *   holder's; after a release, this elector's own) from the moment this replica saw that change:
 *   the holder may have renewed, or someone acquired, since this replica last saw the record, and
 *   a deletion erases the evidence that compare-and-swap would otherwise have checked. (A replica
 *   whose first sight of the lock is an absent or unreadable one cannot know of any holder: it
 *   takes the lock at once.)
 * - **An absence continues only while it was watched.** An absent lock carries no resourceVersion,
 *   so one absence cannot be told from the next: the holder may have re-created the lock and someone
 *   deleted it again in between. A new absent answer continues the absence seen before (keeps its
 *   expiry clock) only when this replica knows the lock stayed absent meanwhile: its watch has been
 *   up throughout (a watch resumed from the last version delivered counts: it delivers what happened
 *   in between), or, while polling, every read since has succeeded. After a gap (a read answered
 *   while a resumed watch is not yet established, the first since the watch ended; a read failed
 *   with no watch up; a relist; the watch muted for a term) the absent answer starts a new clock,
 *   like an unseen version; so does a deletion event of another resourceVersion (a re-creation the
 *   watch did not deliver). A relist's watch, once established, makes the absence known unbroken
 *   from then (as if seen then).
 * - **A deleted holder's claim outlives unaware records.** A record created over the absence by a
 *   replica that never saw the lock (its epoch is not above the highest this replica had seen) or its
 *   release does not end the claim of the holder whose record was deleted: that claim still lapses
 *   only leaseDuration after the deletion was seen (after the last absence seen, when there were
 *   several). A record of that holder's term, or one with a higher epoch (written by a replica that
 *   saw the lock, and so waited the claim out itself), ends it. The unaware record's holder leads
 *   too: when its record is deleted in turn, it has a claim of its own, which the first holder's
 *   record (or release) does not end.
 * - **Epochs never go back.** The next epoch is one more than the highest ever observed, across
 *   deletions of the lock.
 * - **Own records are recognised by epoch and acquire time**, not identity alone: a record under
 *   this identity that this process did not write belongs to someone else (a duplicate identity,
 *   or a previous run of this replica) and is waited out like any other holder's.
 */
export class LockObserver {
  private observationValue: Observation | undefined;
  /** resourceVersion → when we first saw it (the most recent few). */
  private readonly firstSeen = new Map<string, number>();
  /** Which reads, write answers and watch events are stale (the first rule above). */
  private readonly order: AnswerOrder;
  private claim: Claim | undefined;
  private highestEpoch = -1;
  private readonly own: OwnRecords;
  /** The resourceVersion of the last duplicate-identity record reported (one report per change). */
  private duplicateSeen: string | undefined;
  /**
   * What the watch tells of the lock: `up` (established: it delivers every change, in order),
   * `suspended` (it ended and is being resumed from where it was, so it will deliver what happens
   * meanwhile, and nothing has been read since), or `none` (no watch, or one whose stream position
   * was lost: a relist, a term's muting).
   */
  private coverage: 'up' | 'suspended' | 'none' = 'none';
  /**
   * While the lock is observed absent: whether this replica knows it stayed absent since that
   * observation (no gap in watch coverage or in reads since). See the class comment.
   */
  private absenceUnbroken = false;
  /** The resourceVersion of the deletion event the current absence was seen by, if a watch showed it. */
  private absenceVersion: string | undefined;
  private deletedClaims: DeletedClaim[] = [];
  /**
   * The claim of a deleted record that was taken for this replica's own when its deletion was seen.
   * It counts only while that record is no longer taken for its own: a mark is wide while its
   * acquiring write is in flight, and a 409 to the write may narrow or forget it after the record of
   * another process under this identity (same epoch, same second) was seen and deleted.
   */
  private deletedOwnClaims: DeletedClaim[] = [];

  constructor(
    private readonly identity: string,
    private readonly description: string,
    private readonly leaseDuration: number,
    private readonly clock: Clock,
    private readonly conditions: ConditionLog,
    private readonly listener: LockObserverListener,
  ) {
    this.own = new OwnRecords(identity);
    this.order = new AnswerOrder(leaseDuration, clock, () => {
      listener.readWanted();
    });
  }

  get observation(): Observation | undefined {
    return this.observationValue;
  }

  /** Marks the start of a read (or write); pass the result to {@link LockObserver.readAnswer}. */
  beginRead(): ReadTicket {
    return this.order.ticket();
  }

  /** A read's answer; dropped when something newer arrived while it was in flight. */
  readAnswer(snapshot: LockSnapshot | undefined, begun: ReadTicket): void {
    this.noteRecord(snapshot);
    if (!this.order.isCurrent(begun) && this.observationValue !== undefined) return;
    this.accept(snapshot, 'outOfBand', undefined, this.order.anchored(begun));
  }

  /**
   * Whether a read is wanted (and forgets it): a read answered while a watch from the current state
   * was opening, and a different version from that watch, cannot be ordered; a read sent now can.
   */
  takeReadWanted(): boolean {
    return this.order.takeReadWanted();
  }

  /**
   * The answer to one of this replica's writes. With `begun` (from {@link LockObserver.beginRead}
   * before the write was sent), it is dropped when something newer arrived meanwhile.
   */
  writeAnswer(snapshot: LockSnapshot, begun?: ReadTicket): void {
    this.noteRecord(snapshot);
    if (begun !== undefined && !this.order.isCurrent(begun)) return;
    // A write's own version: a watch's different version is the state it replaced (or, from a writer
    // outside the protocol, a later one, which a leader's next renew finds).
    this.accept(snapshot, 'outOfBand');
  }

  /** A watch event. */
  watchEvent(event: Exclude<LockWatchEvent, { type: 'bookmark' }>): void {
    if (event.type === 'changed') this.noteRecord(event.snapshot);
    const resourceVersion = event.type === 'changed' ? event.snapshot.resourceVersion : event.resourceVersion;
    if (this.order.dropsWatchEvent(resourceVersion)) return;
    this.accept(event.type === 'changed' ? event.snapshot : undefined, 'watch', resourceVersion);
  }

  /**
   * A watch (re)starts from `resourceVersion` (`undefined`: from the current state). `resumed`: it
   * continues the previous watch's stream from the last version that watch delivered, so that it
   * delivers whatever happened in between; otherwise what happened since the last watch is unseen.
   */
  watchStarting(resourceVersion: string | undefined, resumed = false): void {
    const continues = resumed && resourceVersion !== undefined;
    this.order.watchStarting(resourceVersion, continues);
    if (continues) {
      if (this.coverage === 'up') this.coverage = 'suspended';
    } else {
      this.watchGap();
    }
  }

  /**
   * The watch is established: from now on it delivers every change of the lock, in order.
   * `fromCurrentState`: it started from the current state (an object there arrives as its first
   * event). An absence no longer known unbroken (a relist after the lock was seen absent) then is
   * known unbroken from now: it counts as seen now, a new clock that only ever ends later.
   */
  watchEstablished(fromCurrentState = false): void {
    this.coverage = 'up';
    this.order.watchSettled();
    const observation = this.observationValue;
    if (!fromCurrentState || observation === undefined || observation.snapshot !== undefined) return;
    if (this.absenceUnbroken) return;
    const now = this.clock.now();
    this.#trackDeletedClaims(observation, undefined, now);
    this.absenceUnbroken = true;
    this.absenceVersion = undefined;
    const renewed: Observation = { snapshot: undefined, observedAt: now };
    this.observationValue = renewed;
    this.order.accepted();
    this.listener.changed(renewed);
  }

  /** The open watch ended; it is resumed from where it was (see {@link LockObserver.watchStarting}). */
  watchEnded(): void {
    if (this.coverage === 'up') this.coverage = 'suspended';
    this.order.watchSettled(); // it delivers nothing more; the next watch starts afresh
  }

  /**
   * What happens from now on goes unseen until a read, and a resumed watch will not deliver it (a
   * relist, or the watch's events ignored while this replica leads).
   */
  watchGap(): void {
    if (this.coverage !== 'none') this.absenceUnbroken = false;
    this.coverage = 'none';
  }

  /** A read failed: unless the watch delivers every change meanwhile, what happened is unknown. */
  readFailed(): void {
    if (this.coverage !== 'up') this.absenceUnbroken = false;
  }

  /**
   * Every record seen counts, even on an answer then dropped as stale: epochs never go back, and a
   * valid holder seen is remembered as the lock's claim (should the lock then disappear, that holder
   * may still lead: waiting for it is only ever too cautious). A release counts too: someone may
   * have acquired after it.
   */
  private noteRecord(snapshot: LockSnapshot | undefined): void {
    const record = snapshot?.record;
    if (record === undefined) return;
    this.highestEpoch = Math.max(this.highestEpoch, record.leaseTransitions);
    // The longest duration seen counts (a stale answer from a holder with a shorter lease must not
    // shorten the wait).
    const leaseMs = hasValidHolder(record)
      ? record.leaseDurationSeconds * 1000
      : isReleased(record)
        ? this.leaseDuration
        : undefined;
    if (leaseMs !== undefined) this.claim = { leaseMs: Math.max(leaseMs, this.claim?.leaseMs ?? 0) };
  }

  /** Records a term of this replica, so that its records are recognised as its own. */
  markOwn(record: OwnRecord): void {
    this.own.mark(record);
    this.highestEpoch = Math.max(this.highestEpoch, record.epoch);
  }

  /** See {@link OwnRecords.unmark}. */
  unmarkOwn(record: OwnRecord): void {
    this.own.unmark(record);
  }

  /** See {@link OwnRecords.narrow}. */
  narrowOwn(record: OwnRecord): void {
    this.own.narrow(record);
  }

  /** True when `record` is one this replica wrote as the holder of one of its terms (see {@link OwnRecords.has}). */
  isOwn(record: LeaderElectionRecord | undefined): boolean {
    return this.own.has(record);
  }

  /** Both deleted claims brought up to date with a newly accepted observation (see {@link nextDeletedClaims}). */
  #trackDeletedClaims(
    previous: Observation | undefined,
    snapshot: LockSnapshot | undefined,
    at: number,
  ): void {
    const others: DeletionContext = {
      now: this.clock.now(),
      highestEpoch: this.highestEpoch,
      ignores: (record) => this.own.has(record),
    };
    const own: DeletionContext = { ...others, ignores: (record) => !this.own.has(record) };
    this.deletedClaims = nextDeletedClaims(this.deletedClaims, previous, snapshot, at, others);
    this.deletedOwnClaims = nextDeletedClaims(this.deletedOwnClaims, previous, snapshot, at, own);
  }

  /** The epoch of the next acquisition: above every epoch ever observed on this lock. */
  nextEpoch(): number {
    return this.highestEpoch + 1;
  }

  /**
   * When the current claim on the lock lapses, on this replica's clock; `-Infinity` when nobody
   * else validly holds it (free, released, or this replica's own record).
   */
  expiry(): number {
    const observation = this.observationValue;
    if (observation === undefined) return -Infinity;
    const record = observation.snapshot?.record;
    let deleted = -Infinity;
    for (const claim of this.deletedClaims) deleted = Math.max(deleted, claim.until);
    for (const claim of this.deletedOwnClaims) {
      if (!this.isOwn(claim.record)) deleted = Math.max(deleted, claim.until);
    }
    if (hasValidHolder(record)) {
      if (this.isOwn(record)) return -Infinity;
      return Math.max(deleted, observation.observedAt + record.leaseDurationSeconds * 1000);
    }
    if (isReleased(record)) return deleted; // explicitly released: free at once, but for a deleted claim
    const claim = this.claim;
    if (claim === undefined) return deleted;
    return Math.max(deleted, observation.observedAt + claim.leaseMs);
  }

  /** `anchored`: the watch's stream surely starts before this out-of-band answer (see the class comment). */
  private accept(
    snapshot: LockSnapshot | undefined,
    source: 'outOfBand' | 'watch',
    watchVersion?: string,
    anchored = true,
  ): void {
    const previous = this.observationValue;
    const version = snapshot?.resourceVersion ?? watchVersion;
    let observedAt: number | undefined;
    if (previous !== undefined) {
      if (snapshot === undefined && previous.snapshot === undefined) {
        if (this.sameAbsence(source, watchVersion)) return;
        observedAt = this.clock.now(); // a new absence: the lock may have existed in between
      } else if (snapshot !== undefined && previous.snapshot?.resourceVersion === version) {
        return;
      }
    }
    observedAt ??= this.firstSeenAt(version);
    // A read or write answer while the watch is being resumed: from here on reads show the lock.
    if (source === 'outOfBand' && this.coverage === 'suspended') this.coverage = 'none';
    this.#trackDeletedClaims(previous, snapshot, observedAt);
    if (snapshot === undefined) {
      this.absenceUnbroken = true;
      this.absenceVersion = source === 'watch' ? watchVersion : undefined;
    }
    const observation: Observation = { snapshot, observedAt };
    this.observationValue = observation;
    this.order.accepted();
    if (source === 'outOfBand' && snapshot !== undefined) {
      this.order.answerAccepted(snapshot.resourceVersion, observedAt, anchored);
    }
    const record = snapshot?.record;
    if (snapshot !== undefined) this.checkRecord(record);
    this.noteRecord(snapshot);
    if (hasValidHolder(record) && record.holderIdentity === this.identity && !this.isOwn(record)) {
      this.noteDuplicate(snapshot);
    }
    this.listener.changed(observation);
    this.reportForeign(record);
  }

  /**
   * Whether an absent answer shows the absence already observed (rather than a later one, after a
   * re-creation this replica did not see): a deletion event of the same resourceVersion (delivered
   * again), or a read while the absence is known unbroken (not the first since the watch ended). A deletion event of another version means
   * the lock existed in between (an event was lost); one after an absence seen by a read cannot be
   * told from a later deletion.
   */
  private sameAbsence(source: 'outOfBand' | 'watch', watchVersion: string | undefined): boolean {
    if (source === 'watch') return watchVersion !== undefined && watchVersion === this.absenceVersion;
    if (this.coverage === 'suspended') {
      // The first read since the watch ended: the resumed watch has not delivered what happened
      // meanwhile. From here on, reads are what this replica knows the lock by (it polls).
      this.coverage = 'none';
      return false;
    }
    return this.absenceUnbroken;
  }

  private reportForeign(record: LeaderElectionRecord | undefined): void {
    if (hasValidHolder(record)) {
      if (this.isOwn(record)) return;
      const duplicate = record.holderIdentity === this.identity;
      const why = duplicate
        ? `another process holds the lock under this replica's identity "${this.identity}"`
        : `${record.holderIdentity} holds the lock`;
      this.listener.foreignState(why, duplicate);
    } else if (isReleased(record)) {
      this.listener.foreignState('the lock was released by someone else', false);
    }
  }

  private noteDuplicate(snapshot: LockSnapshot | undefined): void {
    const previous = this.duplicateSeen;
    this.duplicateSeen = snapshot?.resourceVersion;
    if (previous === undefined) return; // first sight: a previous run of this replica, perhaps
    this.listener.duplicateIdentity(
      `${this.description}: the lock is being renewed under this replica's identity "${this.identity}" by another ` +
        'process; give every replica a unique identity (this one waits for that holder to expire)',
    );
  }

  /**
   * When we first saw this version of the lock: now, unless we saw it before (a re-delivery, or
   * the current version again after a stale answer in between). The record has been at that version
   * at least since then, so expiry may count from then (and must, or every stale answer would
   * restart the wait).
   */
  private firstSeenAt(version: string | undefined): number {
    const now = this.clock.now();
    if (version === undefined) return now;
    const seen = this.firstSeen.get(version);
    if (seen !== undefined) return seen;
    this.firstSeen.set(version, now);
    forgetOldest(this.firstSeen);
    return now;
  }

  /** Logs (once) a record that other software wrote in a form we cannot time. */
  private checkRecord(record: LeaderElectionRecord | undefined): void {
    const treat =
      'treating it as held by the last valid holder seen until that holder expires, else as free ' +
      '(it is still only replaced by compare-and-swap)';
    if (record === undefined) {
      this.conditions.fail(
        'record',
        'unreadable',
        `${this.description}: the lock holds no readable leader record; ${treat}`,
      );
    } else if (record.holderIdentity !== '' && record.leaseDurationSeconds <= 0) {
      this.conditions.fail(
        'record',
        'noDuration',
        `${this.description}: the record names holder "${record.holderIdentity}" without a positive leaseDurationSeconds; ${treat}`,
      );
    } else {
      this.conditions.ok('record', `${this.description}: the leader record is readable`);
    }
  }
}

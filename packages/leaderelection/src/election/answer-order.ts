import type { Clock } from '../clock.js';
import { forgetOldest } from './forget-oldest.js';

/** When a read or write was sent ({@link AnswerOrder.ticket}), as the observer counts. */
export interface ReadTicket {
  /** The observer's sequence: anything accepted since makes the answer possibly stale. */
  readonly sequence: number;
  /** How many watches from the current state had started. */
  readonly currentStateWatches: number;
  /** No watch from the current state was opening. */
  readonly anchored: boolean;
}

/**
 * Which of a {@link LockObserver}'s inputs are stale: reads and write answers (out-of-band answers)
 * against what was accepted while they were in flight, and watch events against an answer the watch
 * has not delivered yet (see the first rule in the observer's class comment). It owns the observer's
 * sequence, the answer ahead of the watch, and the read wanted to settle an unanchored answer.
 */
export class AnswerOrder {
  /** Bumped by every accepted observation; a read that began before a bump may be stale. */
  private sequence = 0;
  /**
   * A version from a read or write that the watch has not delivered yet, and since when;
   * `unanchored`: from a read sent while a watch from the current state was opening.
   */
  private aheadOfWatch: { resourceVersion: string; since: number; unanchored: boolean } | undefined;
  /**
   * The versions (the most recent few) a watch delivered that an unanchored answer made it drop
   * (perhaps newer): a later answer of one of them is not ahead of the watch, which has passed it.
   */
  private readonly droppedUnanchored = new Set<string>();
  /** A read is wanted to settle an unanchored answer (see {@link AnswerOrder.takeReadWanted}). */
  private readWantedValue = false;
  /** How many watches from the current state have started. */
  private currentStateWatches = 0;
  /** A watch from the current state has started and is not established (nor ended) yet. */
  private currentStatePending = false;

  /** `readWanted`: called when a read comes to be wanted (see {@link AnswerOrder.takeReadWanted}). */
  constructor(
    private readonly leaseDuration: number,
    private readonly clock: Clock,
    private readonly readWanted: () => void,
  ) {}

  /** Marks the start of a read (or write). */
  ticket(): ReadTicket {
    return {
      sequence: this.sequence,
      currentStateWatches: this.currentStateWatches,
      anchored: !this.currentStatePending,
    };
  }

  /** Whether nothing was accepted since `begun` was issued. */
  isCurrent(begun: ReadTicket): boolean {
    return begun.sequence === this.sequence;
  }

  /** An observation was accepted: answers to reads and writes sent before it may be stale. */
  accepted(): void {
    this.sequence++;
  }

  /**
   * Whether the watch's stream is known to start before the answer to a read sent at `begun`: no
   * watch from the current state was opening when it was sent, nor has one started since, nor is
   * one opening now.
   */
  anchored(begun: ReadTicket): boolean {
    if (this.currentStatePending) return false;
    return begun.anchored && begun.currentStateWatches === this.currentStateWatches;
  }

  /** Whether a read is wanted (and forgets it); see {@link LockObserver.takeReadWanted}. */
  takeReadWanted(): boolean {
    const wanted = this.readWantedValue;
    this.readWantedValue = false;
    return wanted;
  }

  /**
   * Whether a watch event of `resourceVersion` is to be dropped: the watch is catching up with an
   * accepted answer (for at most leaseDuration, in case a stream loses events), so its events are
   * older than that answer. When that answer is unanchored, a different version may be newer: it is
   * remembered, and a read is wanted to settle it.
   */
  dropsWatchEvent(resourceVersion: string): boolean {
    const ahead = this.aheadOfWatch;
    if (ahead !== undefined) {
      if (resourceVersion === ahead.resourceVersion) {
        this.aheadOfWatch = undefined;
        return true;
      }
      if (this.clock.now() - ahead.since < this.leaseDuration) {
        // Older than what we have; unless what we have is unanchored: then perhaps newer.
        if (ahead.unanchored) {
          this.droppedUnanchored.add(resourceVersion);
          forgetOldest(this.droppedUnanchored);
          if (!this.readWantedValue) {
            this.readWantedValue = true;
            this.readWanted();
          }
        }
        return true;
      }
      this.aheadOfWatch = undefined;
    }
    return false;
  }

  /**
   * A watch (re)starts from `resourceVersion` (`undefined`: from the current state). `continues`: it
   * resumes the previous watch's stream, so it will not deliver the versions that stream passed.
   */
  watchStarting(resourceVersion: string | undefined, continues: boolean): void {
    this.currentStatePending = resourceVersion === undefined;
    if (resourceVersion === undefined) this.currentStateWatches++;
    // A new stream may deliver those versions again (it may start before them): an answer of one
    // is ahead of it, as any answer.
    if (!continues) this.droppedUnanchored.clear();
    if (resourceVersion === undefined || resourceVersion === this.aheadOfWatch?.resourceVersion) {
      this.aheadOfWatch = undefined;
    }
  }

  /** The watch was established or ended: no watch from the current state is opening any more. */
  watchSettled(): void {
    this.currentStatePending = false;
  }

  /**
   * An accepted read or write answer of `resourceVersion`, first seen at `since`; `anchored`: the
   * watch's stream surely starts before it. It is ahead of the watch unless the watch delivered that
   * version already (dropped as perhaps older than an unanchored answer: this one settles it). Any of
   * the versions it dropped: more than one may have come while the read that settles it was in
   * flight, and the watch, having passed this one, never delivers it again (held ahead, it would hide
   * every later event).
   */
  answerAccepted(resourceVersion: string, since: number, anchored: boolean): void {
    this.aheadOfWatch = this.droppedUnanchored.has(resourceVersion)
      ? undefined
      : { resourceVersion, since, unanchored: !anchored };
  }
}

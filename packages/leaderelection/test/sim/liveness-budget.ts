/** What {@link livenessBudget} needs to know of one candidate that can take over after the faults. */
export interface Contender {
  /** Its clock's rate: local ms per true ms. */
  readonly rate: number;
  /** When (true ms) it starts campaigning. */
  readonly startsAt: number;
  /** When (true ms) it last sent a request that is never answered (`-Infinity`: none). */
  readonly lostRequestSentAt: number;
  /** When (true ms) a request of it last failed otherwise: an error or refusal, or its timeout (`-Infinity`: none). */
  readonly lastFailureAt: number;
  /** Whether its watch was established when the faults ended. */
  readonly watching: boolean;
  /**
   * What the faults may have left it believing: `'current'` (its watch delivered every event in
   * order, its reads were answered in time), or `'stale'`: an older version than the lock's, and
   * perhaps without ever having accepted the newer one (its watch lost events, or reordered them;
   * a read answer that arrived late (latency, stale reads) was taken as newer than the watch's
   * events, which were then dropped as older until the watch delivered that version, which a
   * resumed watch may never do; its watch relisted while the lock was absent, which shows nothing
   * of a deletion it had not seen).
   */
  readonly knowledge: 'current' | 'stale';
}

/** The schedule's timings (local ms, as the elector measures them) and latency (true ms). */
export interface BudgetInputs {
  readonly leaseDuration: number;
  readonly retryPeriod: number;
  /** The elector's per-request timeout. */
  readonly requestTimeout: number;
  /** The longest leaseDurationSeconds × 1000 a record of the lock carried (the initial record's, if longer). */
  readonly recordLease: number;
  /** Base one-way latency: a healthy leg takes baseLatency × [0.5, 1.5). */
  readonly baseLatency: number;
  /**
   * The elector's retry jitter: a jittered retryPeriod is under (1 + jitter) × retryPeriod. Default
   * 1.2, client-go's (`jittered` in lease-timings.ts).
   */
  readonly retryJitter?: number;
}

/**
 * One-way legs on the longest path below: the answer to a read sent before `healedAt`, the read that
 * learns the state, a conflicting write, its read, the winning write.
 */
const legs = 10;

/**
 * The longest a correct elector may leave the lock without a leader after `healedAt` (true ms),
 * derived from the algorithm: the earliest moment by which some contender (a candidate neither
 * crashed nor stopped) must have acquired.
 *
 * From `healedAt` on, nothing is lost, refused, paused or delayed beyond a healthy leg, and nobody
 * writes the lock but a replica that acquires it (a leader: done) or releases it (free at once). A
 * contender that writes when its claim has lapsed therefore leads, or finds that someone else does,
 * unless what it knew was stale (phase 3); so the budget is the earliest of the contenders' bounds.
 * A contender at clock rate r goes through three phases, each bounded on its own clock by the
 * elector's code (from its start, if later):
 *
 * 1. **Learning the lock's last state.** With its watch up it has it by `healedAt` (every event was
 *    delivered by then, in order; a watch that ends quietly resumes where it was, one that breaks
 *    makes it read at once). With the watch down it polls: the next read goes a jittered retryPeriod
 *    (client-go's jitter: < 2.2 × retryPeriod) after the last answer (`Campaign.follow`: `pollAt`).
 *    Either way, after a failed request (an error, a refusal, a timeout) it pauses a jittered
 *    retryPeriod and reads before it does anything else; a request the faults lost fails only at
 *    requestTimeout after it was sent.
 * 2. **Waiting for the claim to lapse: the record's leaseDuration** from when it saw that state (an
 *    absence seen after a gap starts its clock at that read: within phase 1).
 * 3. **Acquiring.** It writes at once (over an absence it reads first). If what it knew was stale,
 *    the write conflicts (409) and, its watch being up, it waits a jittered retryPeriod for the
 *    watch before it reads (`Campaign.follow`: `stale.readAt`): + < 2.2 × retryPeriod. The version
 *    it reads then counts from its first sighting (`LockObserver.firstSeenAt`): if it had accepted
 *    it before, the claim has lapsed and it writes again at once; if not, it waits a leaseDuration
 *    from that read: + leaseDuration.
 *
 * Phases measured on the contender's clock last (local ms) / r true ms. Latency: at most
 * {@link legs} legs, each under 1.5 × baseLatency.
 */
export function livenessBudget(
  healedAt: number,
  contenders: readonly Contender[],
  inputs: BudgetInputs,
): number {
  const { leaseDuration, retryPeriod, requestTimeout, recordLease, baseLatency, retryJitter = 1.2 } = inputs;
  const lease = Math.max(leaseDuration, recordLease);
  const jittered = (1 + retryJitter) * retryPeriod;
  const stale = { current: 0, stale: jittered + lease };
  let earliest = Infinity;
  for (const c of contenders) {
    const failedAt = Math.max(c.lastFailureAt, c.lostRequestSentAt + requestTimeout / c.rate);
    const pauseEnds = failedAt + jittered / c.rate;
    const learned = c.watching
      ? Math.max(c.startsAt, healedAt, pauseEnds)
      : Math.max(c.startsAt, healedAt, failedAt) + jittered / c.rate;
    earliest = Math.min(earliest, learned + (lease + stale[c.knowledge]) / c.rate);
  }
  return Math.max(0, earliest - healedAt) + legs * 1.5 * baseLatency;
}

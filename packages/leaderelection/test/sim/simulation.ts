import { LeaseElector } from '@kubekit/leaderelection';
import type { LeaderElectionRecord, Lock, Logger } from '@kubekit/leaderelection';
import type { LeaseTerm } from '#lib/term/lease-term.js';
import { leaseTermOf } from '../support/lease-term-of.js';
import { livenessBudget } from './liveness-budget.js';
import { resentOwnStalls } from './resent-own-stalls.js';
import type { BudgetInputs, Contender } from './liveness-budget.js';
import { Prng } from './prng.js';
import { SimLock, SimLockStore, healthyNetwork } from './sim-lock-store.js';
import type { NetworkConditions } from './sim-lock-store.js';
import { SimProcess } from './sim-process.js';
import { VirtualScheduler } from './virtual-scheduler.js';

/** What one seeded schedule found. Empty `safetyViolations` and no `livenessFailure` / `hung`: passed. */
export interface SimulationResult {
  readonly seed: number;
  readonly safetyViolations: readonly string[];
  /**
   * Overlaps (or epochs that did not increase) after an outsider deleted the lock, where the later
   * holder had never seen the earlier term's record: it started, or was cut off, before it could.
   * No elector can know of a claim it never saw (the lock keeps no history once deleted), so these
   * are outside the guarantee, and counted apart (see the package README, "Deleting the lock").
   */
  readonly unseenDeletionOverlaps: readonly string[];
  readonly livenessFailure: string | undefined;
  /** Set when an elector's `run` did not resolve after it was stopped. */
  readonly hung: string | undefined;
  /** True ms from the end of the faults to the first valid leader (`Infinity`: none). */
  readonly recoveryMs: number;
  /** The liveness budget after the faults ({@link livenessBudget}), in true ms. */
  readonly tightBudgetMs: number;
  /** What the budget was computed from: to recompute it, or a variant of it, for this schedule. */
  readonly budgetBasis: {
    /** True ms at which the faults ended (every message they delayed had arrived). */
    readonly healedAt: number;
    readonly contenders: readonly Contender[];
    readonly inputs: BudgetInputs;
  };
  readonly terms: number;
  readonly candidates: number;
  readonly events: string[];
  /** How many 409s to a repeated write met the candidate's own landed record ({@link resentOwnStalls}). */
  readonly resentOwnConflicts: number;
  /** Those after which that candidate did not hold a term within the bound ({@link resentOwnStalls}). */
  readonly resentOwnStalls: readonly string[];
}

/** Knobs for testing the simulator itself. */
export interface ScheduleOptions {
  /**
   * Ratio of the fastest to the slowest clock rate. Default leaseDuration/renewDeadline (the most
   * the algorithm tolerates); larger values must produce safety violations.
   */
  readonly rateSpread?: number;
  /** Debugging: receives every candidate's log lines, prefixed with true time and name. */
  readonly trace?: (line: string) => void;
  /** Only these kinds of fault (default: all of {@link faultKinds}). */
  readonly faults?: readonly FaultKind[];
  /** Wraps each candidate's lock (to model a broken elector for testing the simulator itself). */
  readonly wrapLock?: (lock: SimLock) => Lock;
}

/** Every kind of fault a schedule draws from. */
export const faultKinds = [
  'latency',
  'blackhole',
  'refuse',
  'pause',
  'responseLoss',
  'serverErrors',
  'conflictStorm',
  'dropWatches',
  'duplicates',
  'crash',
  'stop',
  'deleteLock',
  'duplicateIdentity',
  'throwingSubscriber',
  'staleReads',
  'slowWatch',
  'lossyWatch',
] as const;

/**
 * Kinds of fault a schedule draws only when `faults` names them (added after the seeds' schedules
 * were fixed: drawing them by default would change every old seed's schedule).
 */
export const extraFaultKinds = ['resentWrites'] as const;

/** A kind of fault. */
export type FaultKind = (typeof faultKinds)[number] | (typeof extraFaultKinds)[number];

/** One held term, as true-time interval [start, end): end follows `validUntil()` on the holder's clock. */
interface Segment {
  readonly candidate: string;
  /** When (true ms) the holder sent the write that acquired the term. */
  readonly acquireSentAt: number;
  readonly term: LeaseTerm;
  readonly process: SimProcess;
  readonly start: number;
  end: number;
}

interface Candidate {
  readonly name: string;
  readonly process: SimProcess;
  readonly net: NetworkConditions;
  readonly lock: SimLock;
  readonly elector: LeaseElector;
  readonly stop: AbortController;
  /** When (true ms) it starts campaigning. */
  readonly startsAt: number;
  /** What the faults may have left it believing of the lock (see `Contender.knowledge`). */
  knowledge: Contender['knowledge'];
  resolved: boolean;
  /** Latency spike in force (0: none), in true ms. */
  readonly spike: { max: number };
  /** While true, the candidate's logger throws on every call. */
  readonly brokenLogger: { on: boolean };
}

const timingsChoices = [
  { leaseDuration: 15_000, renewDeadline: 10_000, retryPeriod: 2_000 },
  { leaseDuration: 1_000, renewDeadline: 600, retryPeriod: 200 },
  { leaseDuration: 5_000, renewDeadline: 3_000, retryPeriod: 1_000 },
  { leaseDuration: 8_000, renewDeadline: 6_000, retryPeriod: 1_500 },
] as const;

/** The candidate's logger: traces when asked to, and throws on every call while `broken.on`. */
function candidateLogger(
  trace: ((line: string) => void) | undefined,
  scheduler: VirtualScheduler,
  name: string,
  broken: { readonly on: boolean },
): Logger {
  const at =
    (level: string) =>
    (_fields: object, message: string): void => {
      trace?.(`${scheduler.now.toFixed(3)} ${name} ${level} ${message}`);
      if (broken.on) throw new Error(`simulated logger failure (${name})`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Bad or odd initial records: the elector must read all of them tolerantly. */
function initialRecord(prng: Prng): LeaderElectionRecord | undefined | 'absent' {
  const base = { acquireTime: undefined, renewTime: undefined, leaseTransitions: prng.int(5) };
  switch (prng.int(6)) {
    case 0:
      return 'absent';
    case 1:
      return { ...base, holderIdentity: '', leaseDurationSeconds: 1 };
    case 2:
      return undefined; // unreadable
    case 3:
      return { ...base, holderIdentity: 'ghost', leaseDurationSeconds: 0 };
    case 4:
      return { ...base, holderIdentity: 'ghost', leaseDurationSeconds: -3 };
    default:
      return { ...base, holderIdentity: 'ghost', leaseDurationSeconds: 2 }; // a dead leader
  }
}

/**
 * Runs one schedule: N candidates running the real `LeaseElector` against a simulated lock, each
 * with its own drifting clock (rates within the tolerated ratio leaseDuration/renewDeadline), under
 * faults drawn from `seed` until `faultsEnd`, then healthy until the horizon; then stops them all.
 *
 * Safety: no two held terms overlap in true time (a term is held from its emission until
 * `validUntil()`, read on its holder's clock, has passed), and epochs strictly increase.
 * Liveness: once the faults have ended (the last fault window closed and every message they delayed
 * has arrived), a valid leader exists within the budget the algorithm allows the earliest candidate
 * able to take over, on its own clock ({@link livenessBudget}): the record's leaseDuration from when
 * it learned the lock's last state (at once with its watch up; else within a jittered retryPeriod;
 * after the pause that follows its last failed request), plus a 409, a jittered retryPeriod and
 * another leaseDuration if the faults left it a stale version, plus request latency.
 */
export async function runSchedule(seed: number, options: ScheduleOptions = {}): Promise<SimulationResult> {
  const prng = new Prng(seed);
  const scheduler = new VirtualScheduler();
  const store = new SimLockStore(scheduler, 20 + prng.int(60));
  const timings = timingsChoices[prng.int(timingsChoices.length)]!;
  const { leaseDuration: LD, renewDeadline: RD, retryPeriod: RP } = timings;
  const requestTimeout = RD / 2; // the elector's default, given explicitly: the liveness budget depends on it
  const tolerated = options.rateSpread ?? LD / RD;
  const baseLatency = prng.between(0.2, Math.min(30, RP / 10));
  const faultsEnd = LD * prng.between(3, 8);
  const events: string[] = [];
  const note = (what: string): void => {
    if (events.length < 200) events.push(`${scheduler.now.toFixed(3)} ${what}`);
  };

  const initial = initialRecord(prng);
  const ghostLease = initial !== 'absent' && initial !== undefined ? initial.leaseDurationSeconds * 1000 : 0;
  if (initial !== 'absent') store.put(initial);
  note(
    `start: ${JSON.stringify(timings)} initial=${initial === undefined ? 'unreadable' : JSON.stringify(initial)}`,
  );

  const candidates: Candidate[] = [];
  const segments: Segment[] = [];
  const live = new Set<Segment>();
  let nextId = 0;
  const reorderWatch = prng.chance(0.2);
  const releaseOnCancel = prng.chance(0.5);
  // Every third schedule closes the leader's watch while it leads (drawn from the seed, not the
  // prng, so that the other draws stay as they were).
  const watchWhileLeading = seed % 3 !== 0;

  /** Starts a candidate at true time `at`; `identity` (default: its own name) may duplicate another's. */
  const spawn = (at: number, identity?: string): void => {
    const name = `c${nextId++}`;
    // Rates spread over the whole tolerated ratio: max/min ≤ leaseDuration/renewDeadline.
    const rate = Math.pow(tolerated, prng.next() - 0.5);
    const process = new SimProcess(scheduler, rate, prng.between(0, 1e6));
    const latencyPrng = prng.fork();
    const spike = { max: 0 };
    const net = healthyNetwork(() =>
      spike.max > 0 ? latencyPrng.next() * spike.max : baseLatency * (0.5 + latencyPrng.next()),
    );
    net.reorderWatch = reorderWatch;
    const lock = new SimLock(store, process, net, prng.fork(), identity ?? name, 'sim-lock', [
      RD / 2,
      6 * LD,
    ]);
    const random = prng.fork();
    const brokenLogger = { on: false };
    const elector = new LeaseElector({
      lock: options.wrapLock === undefined ? lock : options.wrapLock(lock),
      ...timings,
      requestTimeout,
      clock: process,
      random: () => random.next(),
      registry: null,
      eventRecorder: null,
      releaseOnCancel,
      watchWhileLeading,
      logger: candidateLogger(options.trace, scheduler, name, brokenLogger),
    });
    const candidate: Candidate = {
      name,
      process,
      net,
      lock,
      elector,
      stop: new AbortController(),
      startsAt: at,
      knowledge: reorderWatch ? 'stale' : 'current',
      resolved: false,
      spike,
      brokenLogger,
    };
    elector.leadership$.subscribe((leadership) => {
      if (!leadership.leading) return;
      const segment: Segment = {
        candidate: name,
        acquireSentAt: lock.lastWriteSentAt,
        term: leaseTermOf(leadership.term),
        process,
        start: scheduler.now,
        end: process.trueTimeOf(leadership.term.validUntil()),
      };
      segments.push(segment);
      live.add(segment);
      note(`${name} acquired epoch ${leadership.term.epoch}`);
    });
    process.at(at, () => {
      void elector.run(candidate.stop.signal).then(() => {
        candidate.resolved = true;
      });
    });
    candidates.push(candidate);
  };

  const n = 2 + prng.int(4);
  for (let i = 0; i < n; i++) spawn(prng.between(0, RP));

  // ---- faults ----
  const windows = 2 + prng.int(10);
  const crashed = new Set<Candidate>();
  for (let i = 0; i < windows; i++) {
    const start = prng.between(0, faultsEnd * 0.9);
    const end = Math.min(faultsEnd, start + prng.between(0.05, 2.5) * LD);
    // Faults hit the current leader more often than not: that is where safety is at stake.
    const pick = (): Candidate => {
      const leader = candidates.find((c) => c.elector.currentTerm() !== undefined);
      return leader !== undefined && prng.chance(0.6) ? leader : candidates[prng.int(candidates.length)]!;
    };
    const kinds = options.faults ?? faultKinds;
    const kind = kinds[prng.int(kinds.length)]!;
    switch (kind) {
      case 'latency': {
        let c = candidates[0]!;
        const spike = prng.between(0.2, 1.5) * RD;
        scheduler.at(start, () => {
          c = pick();
          c.spike.max = spike;
          c.knowledge = 'stale'; // a read answer that arrives late can hide newer watch events
          note(`${c.name} latency up to ${spike.toFixed(0)} ms`);
        });
        scheduler.at(end, () => {
          c.spike.max = 0;
        });
        break;
      }
      case 'blackhole':
      case 'refuse': {
        let c = candidates[0]!;
        const mode = kind;
        scheduler.at(start, () => {
          c = pick();
          c.lock.setPartition(mode);
          note(`${c.name} partitioned (${mode})`);
        });
        scheduler.at(end, () => {
          c.lock.setPartition('none');
          note(`${c.name} partition healed`);
        });
        break;
      }
      case 'pause': {
        let c = candidates[0]!;
        scheduler.at(start, () => {
          c = pick();
          c.process.pause(end);
          note(`${c.name} paused until ${end.toFixed(0)}`);
        });
        break;
      }
      case 'responseLoss': {
        let c = candidates[0]!;
        const loss = prng.between(0.1, 0.6);
        scheduler.at(start, () => {
          c = pick();
          c.net.lossRate = loss;
          note(`${c.name} loses ${(loss * 100).toFixed(0)}% of responses`);
        });
        scheduler.at(end, () => {
          c.net.lossRate = 0;
        });
        break;
      }
      case 'serverErrors': {
        const rate = prng.between(0.1, 0.8);
        scheduler.at(start, () => {
          for (const c of candidates) c.net.errorRate = rate;
          note(`server errors ${(rate * 100).toFixed(0)}%`);
        });
        scheduler.at(end, () => {
          for (const c of candidates) c.net.errorRate = 0;
        });
        break;
      }
      case 'conflictStorm': {
        const every = prng.between(5, RP);
        const storm = (): void => {
          if (scheduler.now >= end) return;
          store.touch();
          scheduler.at(scheduler.now + prng.next() * every, storm);
        };
        scheduler.at(start, () => {
          note(`conflict storm every ~${every.toFixed(0)} ms`);
          storm();
        });
        break;
      }
      case 'dropWatches': {
        const times = 1 + prng.int(5);
        for (let k = 0; k < times; k++) {
          scheduler.at(prng.between(start, end), () => {
            const dropped = store.dropWatches(
              prng.chance(0.5) ? new Error('simulated connection reset') : undefined,
            );
            note(`dropped ${dropped} watches`);
          });
        }
        break;
      }
      case 'duplicates': {
        let c = candidates[0]!;
        const duplicates = prng.between(0.1, 0.8);
        scheduler.at(start, () => {
          c = pick();
          c.net.duplicateRate = duplicates;
          c.net.duplicateEventRate = duplicates;
          note(`${c.name} duplicates requests and events`);
        });
        scheduler.at(end, () => {
          c.net.duplicateRate = 0;
          c.net.duplicateEventRate = 0;
        });
        break;
      }
      case 'crash': {
        // A crash: the process stops dead (no release) for the rest of the run; a new one starts.
        scheduler.at(start, () => {
          const alive = candidates.filter((c) => !crashed.has(c));
          const c = alive[prng.int(alive.length)];
          if (c === undefined) return;
          crashed.add(c);
          c.process.pause(Number.MAX_SAFE_INTEGER);
          note(`${c.name} crashed`);
          spawn(scheduler.now + prng.between(0, LD));
        });
        break;
      }
      case 'deleteLock': {
        // Someone outside the protocol deletes the lock (kubectl delete lease), once or a few times.
        const times = 1 + prng.int(3);
        for (let k = 0; k < times; k++) {
          scheduler.at(prng.between(start, end), () => {
            store.delete();
            note('the lock was deleted by an outsider');
          });
        }
        break;
      }
      case 'duplicateIdentity': {
        // A second process starts with the identity of a running one (a copy-pasted --identity).
        scheduler.at(start, () => {
          const alive = candidates.filter((c) => !crashed.has(c) && !c.stop.signal.aborted);
          const c = alive[prng.int(alive.length)];
          if (c === undefined) return;
          note(`a second process starts with ${c.name}'s identity`);
          spawn(scheduler.now, c.lock.identity);
        });
        break;
      }
      case 'throwingSubscriber': {
        // A subscriber of leadership$ throws on every value; the candidate's logger throws too.
        let c = candidates[0]!;
        scheduler.at(start, () => {
          c = pick();
          c.brokenLogger.on = true;
          const subscription = c.elector.leadership$.subscribe(() => {
            throw new Error(`simulated subscriber failure (${c.name})`);
          });
          scheduler.at(end, () => {
            subscription.unsubscribe();
          });
          note(`${c.name} has a throwing subscriber and logger`);
        });
        scheduler.at(end, () => {
          c.brokenLogger.on = false;
        });
        break;
      }
      case 'staleReads': {
        // A candidate's read answers arrive late (stale) while its watch events keep flowing.
        let c = candidates[0]!;
        const delay = prng.between(0.1, 1.5) * RP;
        scheduler.at(start, () => {
          c = candidates[prng.int(candidates.length)]!;
          c.net.staleReads = delay;
          c.knowledge = 'stale';
          note(`${c.name} reads arrive ${delay.toFixed(0)} ms late`);
        });
        scheduler.at(end, () => {
          c.net.staleReads = 0;
        });
        break;
      }
      case 'slowWatch': {
        // A candidate's watch events arrive late while its requests answer as usual: a follower
        // that lost an acquiring race learns the winner from a late event, or reads.
        let c = candidates[0]!;
        const delay = prng.between(0.05, 1.5) * RP;
        scheduler.at(start, () => {
          c = candidates[prng.int(candidates.length)]!;
          c.net.watchDelay = delay;
          note(`${c.name} watch events arrive ${delay.toFixed(0)} ms late`);
        });
        scheduler.at(end, () => {
          c.net.watchDelay = 0;
        });
        break;
      }
      case 'lossyWatch': {
        // A candidate's watch loses events while the stream stays up: a follower that lost an
        // acquiring race may never see the write that won on it, and must read.
        let c = candidates[0]!;
        const rate = prng.between(0.2, 1);
        scheduler.at(start, () => {
          c = candidates[prng.int(candidates.length)]!;
          c.net.watchLossRate = rate;
          c.knowledge = 'stale';
          note(`${c.name} watch loses ${(rate * 100).toFixed(0)}% of events`);
        });
        scheduler.at(end, () => {
          c.net.watchLossRate = 0;
        });
        break;
      }
      case 'resentWrites': {
        // Writes meet connections that break once the server has them (every candidate's: a
        // follower's acquiring write is where it costs); the transport sends each again, and a
        // repeat whose first attempt landed is answered 409.
        const rate = prng.between(0.2, 1);
        scheduler.at(start, () => {
          for (const c of candidates) c.net.resendRate = rate;
          note(`writes are sent twice, ${(rate * 100).toFixed(0)}% of them`);
        });
        scheduler.at(end, () => {
          for (const c of candidates) c.net.resendRate = 0;
        });
        break;
      }
      case 'stop': {
        // A voluntary stop (releasing when configured), and a replacement.
        scheduler.at(start, () => {
          const alive = candidates.filter((c) => !crashed.has(c) && !c.stop.signal.aborted);
          const c = alive[prng.int(alive.length)];
          if (c === undefined) return;
          c.stop.abort();
          note(`${c.name} stopped`);
          spawn(scheduler.now + prng.between(0, RP));
        });
        break;
      }
    }
  }

  // ---- run and check ----
  const safetyViolations: string[] = [];
  const sample = (): void => {
    for (const segment of live) {
      segment.end = segment.process.trueTimeOf(segment.term.validUntil());
      if (segment.term.hasEnded()) live.delete(segment);
    }
  };
  await scheduler.runUntil(faultsEnd, sample);
  // The faults have ended once every message they delayed has arrived (or was dropped).
  const healedAt = Math.max(faultsEnd, store.latestDelivery);
  await scheduler.runUntil(healedAt, sample);
  // The candidates that can take over, as the faults left them: not the crashed or stopped ones; the
  // replacements started during the faults included (their clocks count as much as the first ones').
  const budgetBasis = {
    healedAt,
    contenders: candidates
      .filter((c) => !crashed.has(c) && !c.stop.signal.aborted)
      .map((c) => ({
        rate: c.process.rate,
        startsAt: c.startsAt,
        lostRequestSentAt: c.lock.lostRequestSentAt,
        lastFailureAt: c.lock.lastFailureAt,
        watching: c.lock.watching,
        // A watch that relisted over an absent lock leaves a deletion unseen until a conflict.
        knowledge: c.lock.watching && c.lock.relistedOverAbsence ? 'stale' : c.knowledge,
      })),
    inputs: { leaseDuration: LD, retryPeriod: RP, requestTimeout, recordLease: ghostLease, baseLatency },
  };
  const recoveryWindow = livenessBudget(budgetBasis.healedAt, budgetBasis.contenders, budgetBasis.inputs);
  const horizon = healedAt + Math.max(recoveryWindow, 2 * LD) + 2 * LD;
  await scheduler.runUntil(horizon, sample);
  sample();

  const ordered = [...segments].sort((a, b) => a.start - b.start);
  const unseenDeletionOverlaps: string[] = [];
  const byName = new Map(candidates.map((c) => [c.name, c]));
  /**
   * b could not know of a's term: the lock was deleted after a sent its acquiring write, and b had
   * not seen a's record when it sent the write that made it leader.
   */
  const unseenAfterDeletion = (a: Segment, b: Segment): boolean => {
    const later = byName.get(b.candidate)!;
    const earlier = byName.get(a.candidate)!;
    const seenAt = later.lock.seen.get(`${earlier.lock.identity}#${a.term.epoch}`) ?? Infinity;
    if (seenAt <= b.acquireSentAt) return false;
    return store.deletions.some((at) => at >= a.acquireSentAt && at <= b.start);
  };
  const report = (a: Segment, b: Segment, violation: string): void => {
    (unseenAfterDeletion(a, b) ? unseenDeletionOverlaps : safetyViolations).push(violation);
  };
  for (let i = 0; i < ordered.length; i++) {
    const a = ordered[i]!;
    for (let j = i + 1; j < ordered.length; j++) {
      const b = ordered[j]!;
      if (b.start >= a.end) continue;
      if (b.start >= horizon) continue;
      report(
        a,
        b,
        `${a.candidate} (epoch ${a.term.epoch}, valid ${a.start.toFixed(3)}–${a.end.toFixed(3)}) and ` +
          `${b.candidate} (epoch ${b.term.epoch}, valid ${b.start.toFixed(3)}–${b.end.toFixed(3)}) overlap`,
      );
    }
    const next = ordered[i + 1];
    if (next !== undefined && next.term.epoch <= a.term.epoch) {
      report(
        a,
        next,
        `epoch did not increase: ${a.candidate} ${a.term.epoch} then ${next.candidate} ${next.term.epoch}`,
      );
    }
  }

  // Liveness: a term valid at some instant in [healedAt, healedAt + recoveryWindow].
  let recoveryMs = Infinity;
  for (const segment of ordered) {
    if (segment.end <= healedAt) continue;
    recoveryMs = Math.min(recoveryMs, Math.max(0, segment.start - healedAt));
  }
  const livenessFailure =
    recoveryMs <= recoveryWindow
      ? undefined
      : `no leader within ${recoveryWindow.toFixed(0)} ms after the faults ended at ${healedAt.toFixed(0)} (first after: ${recoveryMs})`;

  const stalls = resentOwnStalls(
    candidates
      .filter((c) => !crashed.has(c) && !c.stop.signal.aborted)
      .map((c) => ({ name: c.name, conflicts: c.lock.resentOwnConflicts })),
    segments,
    1.5 * RP,
    horizon,
  );

  // ---- stop everyone; every run() must resolve ----
  for (const c of candidates) c.stop.abort();
  await scheduler.runUntil(horizon + 4 * LD);
  await scheduler.settle();
  const stuck = candidates.filter((c) => !c.resolved && !crashed.has(c)).map((c) => c.name);
  const hung = stuck.length === 0 ? undefined : `run() did not resolve after stop: ${stuck.join(', ')}`;
  return {
    seed,
    safetyViolations,
    unseenDeletionOverlaps,
    livenessFailure,
    hung,
    recoveryMs,
    tightBudgetMs: recoveryWindow,
    budgetBasis,
    terms: segments.length,
    candidates: candidates.length,
    events,
    resentOwnConflicts: candidates.reduce((sum, c) => sum + c.lock.resentOwnConflicts.length, 0),
    resentOwnStalls: stalls,
  };
}

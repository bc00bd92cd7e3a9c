import { LeaseElector } from '@kubekit/leaderelection';
import type { Clock, LeaseElectorOptions, Lock } from '@kubekit/leaderelection';
import { Prng } from '../sim/prng.js';
import { SimLock, SimLockStore, healthyNetwork } from '../sim/sim-lock-store.js';
import type { NetworkConditions } from '../sim/sim-lock-store.js';
import { SimProcess } from '../sim/sim-process.js';
import { VirtualScheduler } from '../sim/virtual-scheduler.js';

/** A candidate in a {@link SimWorld}: its process (clock), lock, network and elector. */
export interface SimCandidate {
  readonly process: SimProcess;
  readonly lock: SimLock;
  readonly net: NetworkConditions;
  readonly elector: LeaseElector;
  readonly stop: AbortController;
  /** The promise of `elector.run`, once started. */
  running: Promise<void> | undefined;
  start(): void;
}

/** The timings the simulated unit tests run at: client-go's defaults (15 s / 10 s / 2 s). */
export const fast = { leaseDuration: 15_000, renewDeadline: 10_000, retryPeriod: 2_000 };

/** What {@link SimWorld.add} takes: elector options (but the lock), and how the candidate is simulated. */
export type SimCandidateOptions = Partial<Omit<LeaseElectorOptions, 'lock'>> & {
  rate?: number;
  wrapLock?: (lock: SimLock) => Lock;
  /** The clock the elector is given, from the process's. */
  wrapClock?: (clock: Clock) => Clock;
  /** Timers fire this many ms early (as libuv's millisecond timers can against performance.now()). */
  earlyTimersMs?: number;
};

/** Unit-test fixture: one simulated lock and candidates in virtual time, 1 ms latency by default. */
export class SimWorld {
  readonly scheduler = new VirtualScheduler();
  readonly store = new SimLockStore(this.scheduler);
  private readonly prng = new Prng(42);
  readonly candidates: SimCandidate[] = [];

  constructor(readonly latencyMs = 1) {}

  add(identity: string, options: SimCandidateOptions = {}): SimCandidate {
    const {
      rate = 1,
      wrapLock,
      wrapClock = (clock: Clock): Clock => clock,
      earlyTimersMs = 0,
      ...electorOptions
    } = options;
    const process = new SimProcess(this.scheduler, rate, 1000 * this.candidates.length);
    const net = healthyNetwork(() => this.latencyMs);
    const lock = new SimLock(this.store, process, net, this.prng.fork(), identity, 'sim-lock', [1e9, 1e9]);
    const random = this.prng.fork();
    const elector = new LeaseElector({
      registry: null,
      eventRecorder: null,
      random: () => random.next(),
      ...electorOptions,
      lock: wrapLock === undefined ? lock : wrapLock(lock),
      clock: wrapClock(
        earlyTimersMs === 0
          ? process
          : {
              now: () => process.now(),
              sleep: (ms, signal) => process.sleep(Math.max(0, ms - earlyTimersMs), signal),
            },
      ),
    });
    const candidate: SimCandidate = {
      process,
      lock,
      net,
      elector,
      stop: new AbortController(),
      running: undefined,
      start() {
        candidate.running ??= elector.run(candidate.stop.signal);
      },
    };
    this.candidates.push(candidate);
    return candidate;
  }

  /** Advances virtual time by `ms`, running everything due. */
  async advance(ms: number): Promise<void> {
    await this.scheduler.runUntil(this.scheduler.now + ms);
  }

  /** Stops every candidate and runs until all `run` promises have resolved (fails after `maxMs`). */
  async stopAll(maxMs = 120_000): Promise<void> {
    for (const candidate of this.candidates) candidate.stop.abort();
    const all = Promise.all(this.candidates.map((c) => c.running ?? Promise.resolve()));
    const state = { done: false };
    void all.then(() => {
      state.done = true;
    });
    const until = this.scheduler.now + maxMs;
    while (!state.done && this.scheduler.now < until) await this.advance(10);
    if (!state.done) throw new Error('run() did not resolve after stop');
    await all;
  }
}

import { expect } from 'chai';
import sinon from 'sinon';
import {
  LeaderForLifeElector,
  type LeaderElectionError,
  type Leadership,
  type LeaderForLifeOptions,
  type Term,
} from '@kubekit/leaderelection';
import { FakeLifelongApi } from './fake-lifelong-api.js';

/** One elector started by a test, with what it reported. */
export interface Running {
  readonly elector: LeaderForLifeElector;
  readonly controller: AbortController;
  readonly done: Promise<void>;
  readonly errors: LeaderElectionError[];
  readonly leadership: Leadership[];
}

/** What a test of `LeaderForLifeElector` uses: virtual time, the fake API, and started electors. */
export interface LifelongHarness {
  readonly clock: sinon.SinonFakeTimers;
  readonly api: FakeLifelongApi;
  /** Starts an elector for Pod `podName` on lock `lock` (1 s / 16 s backoff, no jitter). */
  readonly start: (podName: string, options?: Partial<LeaderForLifeOptions>) => Running;
  /** Advances virtual time by `withinMs`, then returns the elector's current term. */
  readonly leading: (candidate: Running, withinMs?: number) => Promise<Term | undefined>;
}

/**
 * Registers `beforeEach`/`afterEach` hooks that give every test fresh fake timers (timeouts,
 * `performance` and `Date`, starting at 0) and a fresh {@link FakeLifelongApi}, and after it stop
 * every elector it started and check that none left a timer or a watch behind. `clock` and `api`
 * are the running test's: read them inside the test (`const { api, clock } = harness;`), not at
 * `describe` level, where no test runs yet.
 */
export function useLifelongHarness(): LifelongHarness {
  let clock: sinon.SinonFakeTimers | undefined;
  let api: FakeLifelongApi | undefined;
  const running: Running[] = [];

  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    api = new FakeLifelongApi();
  });

  afterEach(async () => {
    const fake = clock!;
    for (const candidate of running.splice(0)) {
      candidate.controller.abort();
      await fake.tickAsync(0);
      await candidate.done.catch(() => undefined);
    }
    await fake.tickAsync(100_000);
    expect(fake.countTimers(), 'timers left behind').to.equal(0);
    expect(api!.openWatches, 'watches left open').to.equal(0);
    fake.restore();
  });

  const harness: LifelongHarness = {
    get clock() {
      return clock!;
    },
    get api() {
      return api!;
    },
    start: (podName, options = {}) => {
      const elector = new LeaderForLifeElector({
        lockName: 'lock',
        namespace: 'ns',
        podName,
        api: api!,
        random: () => 0.5,
        initialBackoff: 1000,
        maxBackoff: 16_000,
        ...options,
      });
      const controller = new AbortController();
      const errors: LeaderElectionError[] = [];
      const leadership: Leadership[] = [];
      elector.errors$.subscribe((error) => errors.push(error));
      elector.leadership$.subscribe((value) => leadership.push(value));
      const done = elector.run(controller.signal);
      done.catch(() => undefined);
      const candidate = { elector, controller, done, errors, leadership };
      running.push(candidate);
      return candidate;
    },
    leading: async (candidate, withinMs = 0) => {
      await clock!.tickAsync(withinMs);
      return candidate.elector.currentTerm();
    },
  };
  return harness;
}

import sinon from 'sinon';
import { Registry } from 'prom-client';
import { LeaseElector, type LeaseElectorOptions } from '@kubekit/leaderelection';
import { MemoryLockStore, type MemoryLock } from '@kubekit/leaderelection/testing';
import { Manager, type ManagerOptions } from '@kubekit/manager';
import { memoryLogger } from './recorder.js';

/** One manager of a {@link VirtualWorld}: its lock, elector, manager, stop switch and run. */
export interface VirtualReplica {
  readonly identity: string;
  readonly lock: MemoryLock;
  readonly elector: LeaseElector;
  readonly manager: Manager;
  readonly registry: Registry;
  readonly logger: ReturnType<typeof memoryLogger>;
  readonly stop: AbortController;
  /** `manager.start(stop.signal)`, once started; never rejects (see `outcome`). */
  running: Promise<void> | undefined;
  /** What `start` ended with: `'resolved'` or the error. */
  outcome: unknown;
  /** Virtual time at which `start` settled. */
  settledAt: number | undefined;
  start(): void;
}

/**
 * Installs sinon fake timers over what managers and electors wait and measure with: `setTimeout`,
 * `performance.now` (their default clock) and `Date`. `restore()` them when done.
 */
export function fakeTimers(): sinon.SinonFakeTimers {
  return sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
}

/**
 * Managers with real lease electors on in-memory locks of shared stores, in virtual time (sinon
 * fake timers drive `setTimeout` and `performance.now`, which the electors' and managers' default
 * clock uses). Timings 15 s / 10 s / 2 s unless given.
 */
export class VirtualWorld {
  readonly clock: sinon.SinonFakeTimers;
  readonly stores = new Map<string, MemoryLockStore>();
  readonly replicas: VirtualReplica[] = [];

  constructor() {
    this.clock = fakeTimers();
  }

  store(name = 'lock'): MemoryLockStore {
    let store = this.stores.get(name);
    if (store === undefined) {
      store = new MemoryLockStore({ name });
      this.stores.set(name, store);
    }
    return store;
  }

  add(
    identity: string,
    options: {
      readonly lockName?: string;
      readonly latencyMs?: number;
      readonly elector?: Partial<Omit<LeaseElectorOptions, 'lock'>>;
      readonly manager?: Omit<ManagerOptions, 'leaderElection'>;
    } = {},
  ): VirtualReplica {
    const lock = this.store(options.lockName).lock(identity, { latencyMs: options.latencyMs ?? 1 });
    const registry = new Registry();
    const logger = memoryLogger();
    const elector = new LeaseElector({
      lock,
      registry,
      eventRecorder: null,
      releaseOnCancel: true,
      random: () => 0.5,
      logger,
      ...options.elector,
    });
    const manager = new Manager({ registry, logger, ...options.manager, leaderElection: elector });
    const stop = new AbortController();
    const replica: VirtualReplica = {
      identity,
      lock,
      elector,
      manager,
      registry,
      logger,
      stop,
      running: undefined,
      outcome: undefined,
      settledAt: undefined,
      start: () => {
        replica.running ??= manager.start(stop.signal).then(
          () => {
            replica.outcome = 'resolved';
            replica.settledAt = performance.now();
          },
          (error: unknown) => {
            replica.outcome = error;
            replica.settledAt = performance.now();
          },
        );
      },
    };
    this.replicas.push(replica);
    return replica;
  }

  /** Advances virtual time by `ms`, running everything due. */
  async advance(ms: number): Promise<void> {
    await this.clock.tickAsync(ms);
  }

  /** Stops every replica, runs until all have settled, and restores the real timers. */
  async dispose(): Promise<void> {
    try {
      for (const replica of this.replicas) {
        replica.lock.partition('none');
        replica.stop.abort();
      }
      for (
        let i = 0;
        i < 1_000 && this.replicas.some((r) => r.running !== undefined && r.settledAt === undefined);
        i++
      )
        await this.clock.tickAsync(100);
    } finally {
      this.clock.restore();
    }
  }
}

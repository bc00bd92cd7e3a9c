import { expect } from 'chai';
import { Registry } from 'prom-client';
import { BehaviorSubject, EMPTY, filter } from 'rxjs';
import {
  LeaderElectionError,
  LeaseElector,
  type Elector,
  type Leadership,
  type Term,
} from '@kubekit/leaderelection';
import { MemoryLockStore } from '@kubekit/leaderelection/testing';
import { createManager, Manager, ManagerError } from '@kubekit/manager';
import { Recorder } from '../support/recorder.js';
import { fakeTimers } from '../support/virtual-world.js';

/**
 * Starts `manager`, lets 10 ms (virtual) pass, stops it and waits until it has stopped: what the
 * timers threw meanwhile (in a real process, an uncaught exception), or undefined.
 */
async function thrownWhileRunning(manager: Manager, clock: ReturnType<typeof fakeTimers>): Promise<unknown> {
  const stop = new AbortController();
  const running = manager.start(stop.signal);
  let thrown: unknown;
  try {
    await clock.tickAsync(10);
  } catch (error: unknown) {
    thrown = error;
  }
  stop.abort();
  await clock.tickAsync(10);
  await running;
  return thrown;
}

// The Manager with electors other than its lease elector: one of the application's own, and the
// SoleElector of `leaderElection: false`.

describe('Manager with an Elector of its own', () => {
  it('stops with leaderElectionFailed when the elector cannot run (here: it was run already)', async () => {
    const store = new MemoryLockStore();
    const elector = new LeaseElector({ lock: store.lock('a'), registry: null, eventRecorder: null });
    const first = new AbortController();
    const firstRun = elector.run(first.signal);
    const log = new Recorder();
    const manager = new Manager({ registry: new Registry(), leaderElection: elector });
    manager.add(log.runnable('everywhere', { needLeaderElection: false }));
    const error = (await manager
      .start(new AbortController().signal)
      .catch((e: unknown) => e)) as ManagerError;
    expect(error.kind).to.equal('leaderElectionFailed');
    expect(error.message).to.match(
      /^lease memory\/memory-lock: leader election failed: .*run\(\) may be called only once/,
    );
    expect(LeaderElectionError.is(error.cause, 'invalidConfig')).to.equal(true);
    expect(log.whats()).to.deep.equal(['start everywhere', 'abort everywhere', 'stop everywhere']);
    first.abort();
    await firstRun;
  });

  it('stops with leaderElectionFailed when the elector ends by itself', async () => {
    const leadership = new BehaviorSubject<Leadership>({ leading: false });
    const ending: Elector = {
      identity: 'me',
      lockDescription: 'custom lock',
      leadership$: leadership.asObservable(),
      leader$: EMPTY,
      errors$: EMPTY,
      run: () => {
        leadership.complete();
        return Promise.resolve();
      },
      whenLeading: () => Promise.reject(new Error('never')),
      currentTerm: () => undefined,
      currentLeader: () => undefined,
      healthy: () => true,
      checkHealth: () => undefined,
    };
    const manager = new Manager({ registry: new Registry(), leaderElection: ending });
    const error = (await manager
      .start(new AbortController().signal)
      .catch((e: unknown) => e)) as ManagerError;
    expect(error.kind).to.equal('leaderElectionFailed');
    expect(error.message).to.equal('custom lock: the elector stopped while the manager ran');
  });

  it('regression: an Elector whose run() throws synchronously gets leaderElectionFailed, not a raw error', async () => {
    const subject = new BehaviorSubject<Leadership>({ leading: false });
    const elector = {
      identity: 'x',
      lockDescription: 'custom',
      leadership$: subject.asObservable(),
      leader$: EMPTY,
      errors$: EMPTY,
      run: (): Promise<void> => {
        throw new Error('cannot run: no credentials');
      },
      whenLeading: () => new Promise<Term>(() => undefined),
      currentTerm: () => undefined,
      currentLeader: () => undefined,
      healthy: () => true,
      checkHealth: () => undefined,
    };
    const manager = createManager({
      leaderElection: elector,
      registry: new Registry(),
    });
    let error: unknown;
    try {
      await manager.start(new AbortController().signal);
    } catch (e: unknown) {
      error = e;
    }
    expect(ManagerError.is(error, 'leaderElectionFailed'), `got ${String(error)}`).to.equal(true);
  });
});

describe('Manager without leader election: leadership$ subscribers', () => {
  it('regression: a throwing leadership$ subscriber does not crash the process (SoleElector is not guarded)', async () => {
    // The lease and leader-for-life electors guard their subscribers (guardSubscribers); the
    // SoleElector of `leaderElection: false` exposes a bare BehaviorSubject. rxjs reports an error
    // thrown by a subscriber without an error handler on a timer: an uncaught exception.
    const clock = fakeTimers();
    try {
      const manager = createManager({ registry: new Registry() });
      manager.leadership$.subscribe((l) => {
        if (l.leading) throw new Error('subscriber bug');
      });
      const thrown = await thrownWhileRunning(manager, clock);
      expect(thrown, 'an exception escaped to the timers (uncaught in a real process)').to.equal(undefined);
    } finally {
      clock.restore();
    }
  });

  it('regression: a throwing subscriber of an observable piped from leadership$ is logged, not rethrown', async () => {
    const clock = fakeTimers();
    const errors: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (_fields: object, message: string) => {
        errors.push(message);
      },
    };
    try {
      const manager = createManager({ registry: new Registry(), logger });
      manager.leadership$.pipe(filter((l) => l.leading)).subscribe({
        next: () => {
          throw new Error('subscriber bug');
        },
      });
      const thrown = await thrownWhileRunning(manager, clock);
      expect(thrown, 'an exception escaped to the timers').to.equal(undefined);
      expect(errors.some((m) => m.includes('leadership$ subscriber threw'))).to.equal(true);
    } finally {
      clock.restore();
    }
  });
});

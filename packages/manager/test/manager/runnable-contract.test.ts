import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createManager, ManagerError, runnable, type Runnable } from '@kubekit/manager';
import { cacheThatNeverSyncs, countingRunnable, untilAborted } from '../support/runnables.js';
import { captureUnhandledRejections } from '../support/unhandled-rejections.js';
import { useVirtualWorld } from '../support/use-virtual-world.js';
import { fakeTimers } from '../support/virtual-world.js';

/** What `add` threw, or undefined. */
function addError(add: () => void): unknown {
  try {
    add();
  } catch (error: unknown) {
    return error;
  }
  return undefined;
}

describe('Manager: bad input', () => {
  it('regression: add(runnable, null) and a throwing needLeaderElection() or restartable() get invalidConfig', () => {
    const manager = createManager({ registry: new Registry(), onLeadershipLost: 'recampaign' });
    const plain = runnable(() => Promise.resolve());
    const nullOptions = addError(() => {
      manager.add(plain, null as unknown as { name?: string });
    });
    expect(ManagerError.is(nullOptions, 'invalidConfig'), String(nullOptions)).to.equal(true);
    /** Adds a runnable whose `method` throws, under `name`; answers what `add` threw. */
    const addThrowing = (method: 'needLeaderElection' | 'restartable', name: string): unknown =>
      addError(() => {
        const broken = {
          start: () => Promise.resolve(),
          [method]: () => {
            throw new Error('not configured');
          },
        };
        manager.add(broken, { name });
      });
    const throwingNeed = addThrowing('needLeaderElection', 'need');
    expect(ManagerError.is(throwingNeed, 'invalidConfig'), String(throwingNeed)).to.equal(true);
    expect((throwingNeed as ManagerError).message).to.include('need');
    const throwingRestart = addThrowing('restartable', 'restart');
    expect(ManagerError.is(throwingRestart, 'invalidConfig'), String(throwingRestart)).to.equal(true);
    // The rejected runnables were not registered: the valid one can still be added once.
    manager.add(plain, { name: 'plain' });
  });

  it('regression: cacheSyncTimeout must be a positive number', () => {
    for (const cacheSyncTimeout of [0, -1, Number.NaN, '5' as unknown as number]) {
      let error: unknown;
      try {
        createManager({ registry: new Registry(), cacheSyncTimeout });
      } catch (e: unknown) {
        error = e;
      }
      expect(ManagerError.is(error, 'invalidConfig'), String(cacheSyncTimeout)).to.equal(true);
    }
  });

  it('regression: start() with something that is not an AbortSignal rejects with a typed error and does not brick the manager', async () => {
    const manager = createManager({ registry: new Registry() });
    let error: unknown;
    try {
      await manager.start(undefined as unknown as AbortSignal);
    } catch (e: unknown) {
      error = e;
    }
    expect(ManagerError.is(error), `got ${String(error)}`).to.equal(true);
    expect(manager.state).not.to.equal('starting');
  });
});

describe('Manager: runnables that break the contract (virtual time)', () => {
  const world = useVirtualWorld();

  it('regression: a runnable that adds another from the synchronous part of its start gets it started once, not twice', async () => {
    // runTerm sets `current`, then iterates the live `entries.leaderGated` array. The parent's
    // start calls manager.add(child) synchronously: add pushes the child onto that array and,
    // the group having started, TermRunner.addRunnable starts it in the current term. The loop
    // then reaches the child's entry and starts it a second time. (startGroup has the same shape
    // for 'others' and 'caches'.)
    const a = world.add('a');
    const child = countingRunnable();
    let added = false;
    a.manager.add(
      runnable(async (signal) => {
        if (!added) {
          added = true;
          a.manager.add(child, { name: 'child' });
        }
        await untilAborted(signal);
      }),
      { name: 'parent' },
    );
    a.start();
    await world.advance(100);
    expect(child.starts, 'start() of a non-restartable runnable').to.equal(1);
  });

  it('regression: the same runnable added twice is not started twice (or add rejects it)', async () => {
    // add() does not remember runnables: the same non-restartable object added twice (a DI
    // singleton bound under RUNNABLE and also added by hand, or re-added after it resolved) gets
    // two entries, and start() is called twice, concurrently, in one term.
    const a = world.add('a');
    const once = countingRunnable();
    a.manager.add(once, { name: 'once' });
    let rejected = false;
    try {
      a.manager.add(once, { name: 'once-again' });
    } catch (error: unknown) {
      rejected = ManagerError.is(error, 'invalidConfig');
    }
    a.start();
    await world.advance(100);
    expect(
      rejected || once.starts === 1,
      `start called ${once.starts} times; add accepted the duplicate`,
    ).to.equal(true);
  });

  it('regression: a runnable on every replica whose start() returns no promise stops the manager with runnableFailed', async () => {
    const a = world.add('a');
    a.manager.add(
      Object.assign({ start: () => undefined }, { needLeaderElection: () => false }) as unknown as Runnable,
      { name: 'sync' },
    );
    a.start();
    await world.advance(1_000);
    expect(ManagerError.is(a.outcome, 'runnableFailed'), String(a.outcome)).to.equal(true);
    expect((a.outcome as ManagerError).runnables).to.deep.equal(['sync']);
    expect(ManagerError.is((a.outcome as ManagerError).cause, 'invalidConfig')).to.equal(true);
  });

  it('regression: a cache that never syncs fails start with startFailed naming it after cacheSyncTimeout (default 2 min)', async () => {
    const a = world.add('a');
    a.manager.add(cacheThatNeverSyncs(), { name: 'informer' });
    a.start();
    await world.advance(119_000);
    expect(a.settledAt, 'still waiting before the timeout').to.equal(undefined);
    await world.advance(2_000);
    expect(ManagerError.is(a.outcome, 'startFailed'), String(a.outcome)).to.equal(true);
    expect((a.outcome as ManagerError).runnables).to.deep.equal(['informer']);
    expect(a.elector.currentTerm(), 'never campaigned').to.equal(undefined);
  });
});

describe('Manager without leader election: runnables that break the contract', () => {
  it('regression: a start() that returns no promise gets a typed error, no unhandled rejection, and start() settles', async () => {
    // SoleTerm.runWhileLeading returns fn()'s value unchecked; RunnableGroup.run then calls
    // `undefined.then` outside its try: runTerm (async) rejects, `void this.runTerm(term).then(...)`
    // leaves the rejection unhandled (fatal in Node by default) and TermRunner stays busy for
    // ever, so start() never settles even after its signal aborts. (In the 'others' group the
    // same TypeError escapes start() or add() raw.)
    const clock = fakeTimers();
    const unhandled = captureUnhandledRejections();
    try {
      const manager = createManager({ registry: new Registry() });
      manager.add({ start: () => undefined } as unknown as Runnable, { name: 'sync' });
      const stop = new AbortController();
      let outcome: unknown;
      void manager.start(stop.signal).then(
        () => (outcome = 'resolved'),
        (e: unknown) => (outcome = e),
      );
      await clock.tickAsync(10);
      stop.abort();
      await clock.tickAsync(60_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled.reasons.map(String), 'unhandled rejections').to.deep.equal([]);
      expect(ManagerError.is(outcome), `outcome ${String(outcome)}`).to.equal(true);
    } finally {
      clock.restore();
      unhandled.restore();
    }
  });
});

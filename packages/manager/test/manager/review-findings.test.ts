import { expect } from 'chai';
import type { Leadership, Term } from '@kubekit/leaderelection';
import { createManager, ManagerError, runnable, type Runnable } from '@kubekit/manager';
import { Recorder } from '../support/recorder.js';
import { VirtualWorld } from '../support/virtual-world.js';

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
}

/** Reads `signal.aborted` afresh after an await. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

// Adversarial review (h-attack2): each test describes an interleaving the Manager got wrong (the
// comments tell how it went wrong); they now pin the fixes.

describe('review 2 regressions: Manager interleavings (virtual time)', () => {
  let world: VirtualWorld;
  beforeEach(() => {
    world = new VirtualWorld();
  });
  afterEach(async () => {
    await world.dispose();
  });

  it('regression: recampaign — a term acquired while the previous term’s runnables are still stopping gets its runnables', async () => {
    // 1. a leads (epoch 0); its gated runnable takes 1 s to stop once signalled (well within the
    //    loss bound: exclusiveUntil − lossMargin − loss ≈ 1.5 s).
    // 2. The API hangs from t=100: renews fail; at validUntil (≈10 s) the term is lost; the runnable
    //    is signalled and TermRunner.runTerm awaits it (busy = true).
    // 3. The API comes back 10 ms later: the lock still holds a's own record, so the elector
    //    re-acquires at once (epoch 1), while the old runnable is still stopping.
    // 4. TermRunner's `next()` clears `waiting` before it checks `busy`: the new term is dropped.
    //    When the old runnable has stopped, `next()` finds nothing waiting; leadership$ does not
    //    emit again (still leading): a leads epoch 1 for ever with no leader-gated runnable running.
    const log = new Recorder();
    const a = world.add('a', { manager: { onLeadershipLost: 'recampaign' } });
    a.manager.add(log.runnable('gated', { stopDelayMs: 1_000 }));
    a.start();
    await world.advance(100);
    expect(log.find('start gated')).to.have.length(1);
    const first = a.elector.currentTerm()!;
    a.lock.partition('hang');
    while (!first.signal.aborted) await world.advance(10);
    a.lock.partition('none');
    await world.advance(500);
    const second = a.elector.currentTerm();
    expect(second, 'the elector re-acquired while the old runnable was stopping').not.to.equal(undefined);
    expect(second!.epoch).to.equal(1);
    expect(log.find('stop gated')).to.have.length(0); // still stopping
    expect(log.find('start gated'), 'epoch 1 waits for epoch 0 to stop').to.have.length(1);
    await world.advance(10_000);
    expect(a.elector.currentTerm()).to.equal(second); // still leading epoch 1
    expect(log.steps.filter((s) => s.what === 'start gated').map((s) => s.epoch)).to.deep.equal([0, 1]);
    // Never two terms' runnables at once: epoch 1 started after epoch 0's run had stopped.
    expect(log.whats()).to.deep.equal(['start gated', 'abort gated', 'stop gated', 'start gated']);
  });

  it('regression: a runnable that adds another from the synchronous part of its start gets it started once, not twice', async () => {
    // runTerm sets `current`, then iterates the live `entries.leaderGated` array. The parent's
    // start calls manager.add(child) synchronously: add pushes the child onto that array and,
    // the group having started, TermRunner.addRunnable starts it in the current term. The loop
    // then reaches the child's entry and starts it a second time. (startGroup has the same shape
    // for 'others' and 'caches'.)
    const a = world.add('a');
    let childStarts = 0;
    const child: Runnable = {
      start: async (signal) => {
        childStarts += 1;
        await untilAborted(signal);
      },
    };
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
    expect(childStarts, 'start() of a non-restartable runnable').to.equal(1);
  });

  it('regression: the same runnable added twice is not started twice (or add rejects it)', async () => {
    // add() does not remember runnables: the same non-restartable object added twice (a DI
    // singleton bound under RUNNABLE and also added by hand, or re-added after it resolved) gets
    // two entries, and start() is called twice, concurrently, in one term.
    const a = world.add('a');
    let starts = 0;
    const once: Runnable = {
      start: async (signal) => {
        starts += 1;
        await untilAborted(signal);
      },
    };
    a.manager.add(once, { name: 'once' });
    let rejected = false;
    try {
      a.manager.add(once, { name: 'once-again' });
    } catch (error: unknown) {
      rejected = ManagerError.is(error, 'invalidConfig');
    }
    a.start();
    await world.advance(100);
    expect(rejected || starts === 1, `start called ${starts} times; add accepted the duplicate`).to.equal(
      true,
    );
  });

  it('regression: a loss during shutdown still bounds gated runnables by exclusiveUntil − margin (not gracefulShutdownTimeout)', async () => {
    // 1. a leads with a gated runnable that ignores its signal; b follows.
    // 2. a is told to stop; at the same moment its API connection hangs.
    // 3. Shutdown phase 1: TermRunner.afterShutdown waits up to gracefulShutdownTimeout (30 s);
    //    the elector is not stopped yet, keeps trying to renew, and loses the term at ≈10 s.
    //    runTerm removed its term listener when shutdown began, so the loss bound (exclusiveUntil −
    //    lossMargin) is never applied.
    // 4. b acquires at ≈15 s while a's stubborn runnable still runs and a's start() has not
    //    settled: the manager neither stopped nor named it before another replica could lead.
    const log = new Recorder();
    const a = world.add('a');
    const b = world.add('b');
    a.manager.add(log.runnable('stubborn', { ignoreSignal: true }), { name: 'stubborn' });
    a.start();
    await world.advance(100);
    b.start();
    await world.advance(100);
    const term = a.elector.currentTerm()!;
    let bLeadsAt: number | undefined;
    b.manager.leadership$.subscribe((l: Leadership) => {
      if (l.leading) bLeadsAt ??= performance.now();
    });
    a.lock.partition('hang');
    a.stop.abort();
    await world.advance(20_000);
    expect(term.signal.aborted).to.equal(true);
    expect(bLeadsAt, 'b leads').to.be.a('number');
    expect(log.find('stop stubborn')).to.have.length(0); // still running on a
    expect(a.settledAt, 'a stopped (naming stubborn) before b could lead').to.be.a('number');
    expect(a.settledAt!).to.be.below(term.exclusiveUntil());
    expect((a.outcome as ManagerError).runnables).to.include('stubborn');
  });
});

describe('review 2 regressions: more interleavings (virtual time)', () => {
  let world: VirtualWorld;
  beforeEach(() => {
    world = new VirtualWorld();
  });
  afterEach(async () => {
    await world.dispose();
  });

  it('regression: after a loss with a stubborn runnable, the lease is not released while it still runs (re-acquired term)', async () => {
    // 1. a leads (epoch 0) with a gated runnable that ignores its signal; b follows.
    // 2. a's API hangs; at ≈10 s the term is lost; the manager awaits the runnable until
    //    exclusiveUntil − lossMargin (≈11.5 s).
    // 3. a's API comes back at once: the lock holds a's own record, so a's elector re-acquires
    //    (epoch 1) at ≈10 s. TermRunner is busy and drops that term (no runnable tracked in it).
    // 4. At ≈11.5 s the manager names `stubborn` and stops: it stops the elector, whose epoch-1
    //    term has no tracked work, so it releases the lease at once — b leads within milliseconds,
    //    before exclusiveUntil, while a's epoch-0 `stubborn` still runs. DESIGN 6: when gated work
    //    has not finished, do not release: let the lease expire.
    const log = new Recorder();
    const a = world.add('a');
    const b = world.add('b');
    a.manager.add(log.runnable('stubborn', { ignoreSignal: true }), { name: 'stubborn' });
    a.start();
    await world.advance(100);
    b.start();
    await world.advance(100);
    const first = a.elector.currentTerm()!;
    const releases: number[] = [];
    const watch = new AbortController();
    void world
      .store()
      .lock('observer')
      .watch(
        undefined,
        {
          onEstablished: () => undefined,
          onEvent: (event) => {
            if (event.type === 'changed' && event.snapshot.record?.holderIdentity === '')
              releases.push(performance.now());
          },
        },
        watch.signal,
      );
    let bLeadsAt: number | undefined;
    b.manager.leadership$.subscribe((l: Leadership) => {
      if (l.leading) bLeadsAt ??= performance.now();
    });
    a.lock.partition('hang');
    while (!first.signal.aborted) await world.advance(10);
    a.lock.partition('none');
    await world.advance(5_000);
    watch.abort();
    expect(ManagerError.is(a.outcome, 'leadershipLost')).to.equal(true);
    expect(log.find('stop stubborn')).to.have.length(0); // still running
    expect(releases, 'a released the lease while stubborn still ran').to.deep.equal([]);
    expect(
      bLeadsAt === undefined || bLeadsAt >= first.exclusiveUntil(),
      'b led before exclusiveUntil',
    ).to.equal(true);
  });

  it('regression: a fenced runnable that rejects once term.isValid() is false counts as the loss, not as runnableFailed', async () => {
    // The README's idiom: check term.isValid() before a side effect. This runnable wakes at
    // validUntil and, finding the term invalid, rejects ("fenced"). Its timer was set before the
    // elector's renew deadline timer for the same instant, so it runs first: the term is invalid
    // but its signal has not aborted yet, and RunnableGroup counts the rejection as a failure.
    // With recampaign the manager stops with runnableFailed instead of campaigning again: the
    // verdict depends on the order of two timers in the same millisecond.
    const a = world.add('a', { manager: { onLeadershipLost: 'recampaign' } });
    const starts: number[] = [];
    a.manager.add(
      runnable(async (signal, context) => {
        const term = context!.term!;
        starts.push(term.epoch);
        while (!signal.aborted) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(1, term.remainingMs()));
            signal.addEventListener(
              'abort',
              () => {
                clearTimeout(timer);
                resolve();
              },
              { once: true },
            );
          });
          if (!isAborted(signal) && !term.isValid())
            throw new Error(`fenced: term ${term.epoch} is no longer valid`);
        }
      }),
      { name: 'fenced' },
    );
    a.start();
    await world.advance(100);
    a.lock.partition('hang');
    await world.advance(11_000);
    a.lock.partition('none');
    await world.advance(3_000);
    expect(a.outcome, `manager stopped: ${String(a.outcome)}`).to.equal(undefined);
    expect(starts).to.deep.equal([0, 1]);
  });

  it('regression: a throwing logger (the elector survives one) does not leave start() unsettled after a loss', async () => {
    // The elector wraps its logger (safeLogger); the manager calls the same logger bare. Here
    // warn throws: afterLoss throws before awaiting the runnables, runTerm rejects, `void
    // this.runTerm(term).then(...)` has no rejection handler (an unhandled rejection, fatal by
    // default in Node), `busy` stays true and TermRunner.run never resolves: start() never settles.
    const base = (await import('../support/recorder.js')).memoryLogger();
    const logger = {
      ...base,
      warn: () => {
        throw new Error('log transport down');
      },
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    const listeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    try {
      const log = new Recorder();
      const a = world.add('a', { manager: { logger } });
      a.manager.add(log.runnable('gated'));
      a.start();
      await world.advance(100);
      a.lock.partition('hang');
      await world.advance(20_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled.map(String), 'unhandled rejections').to.deep.equal([]);
      expect(ManagerError.is(a.outcome, 'leadershipLost'), `outcome ${String(a.outcome)}`).to.equal(true);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const listener of listeners) process.on('unhandledRejection', listener);
    }
  });

  it('regression: gracefulShutdownTimeout 0 does not resolve start() silently while a gated runnable and the elector still run', async () => {
    // With 0 the manager waits one timer turn for gated runnables, then does not wait for the
    // elector (within() returns true at once) and never reports late runnables (shutdownTimeout
    // is skipped for 0, and the "had not stopped" log needs a failure). start() resolves as a
    // clean stop while `stubborn` runs and the elector still holds and renews the lease.
    const log = new Recorder();
    const a = world.add('a', { manager: { gracefulShutdownTimeout: 0 } });
    a.manager.add(log.runnable('stubborn', { ignoreSignal: true }), { name: 'stubborn' });
    a.start();
    await world.advance(100);
    a.stop.abort();
    await world.advance(10);
    const named = a.logger.lines.some(
      (line) =>
        (line.level === 'error' || line.level === 'warn') && JSON.stringify(line).includes('stubborn'),
    );
    expect(a.outcome === 'resolved' && !named, 'resolved cleanly, nothing named').to.equal(false);
  });
});

describe('review 2 regressions: shutdown paths (virtual time)', () => {
  let world: VirtualWorld;
  beforeEach(() => {
    world = new VirtualWorld();
  });
  afterEach(async () => {
    await world.dispose();
  });

  it('regression: a term lost during shutdown is counted as lost, not stopped', async () => {
    // Shutdown begins; the gated runnable takes 11 s to stop (within gracefulShutdownTimeout).
    // The elector is not stopped during phase 1 and keeps renewing; the API hangs, so the term is
    // lost at ≈10 s (the elector counts leader_election transition "lost" and logs it). runTerm
    // chose `endedBy = 'shutdown'` when shutdown began and removed its term listener: the manager
    // counts transition="stopped", logs "leader-gated runnables stopped" and start() resolves as a
    // clean stop, although the term ended by a loss while gated work still ran.
    const log = new Recorder();
    const a = world.add('a');
    a.manager.add(log.runnable('slow', { stopDelayMs: 11_000 }));
    a.start();
    await world.advance(100);
    const term = a.elector.currentTerm()!;
    a.stop.abort();
    a.lock.partition('hang');
    await world.advance(15_000);
    expect(term.signal.reason).to.satisfy(
      (r: { kind?: string }) => r.kind === 'stopped' || r.kind === 'lost',
    );
    const found = (await a.registry.getMetricsAsJSON()).find(
      (m) => m.name === 'kubekit_manager_leadership_transitions_total',
    );
    const lost = found?.values.find((v) => v.labels['transition'] === 'lost')?.value ?? 0;
    // The elector saw a loss (its own log line says so) ...
    expect(a.logger.lines.some((l) => l.level === 'warn' && l.message.includes('lost the lease'))).to.equal(
      true,
    );
    // ... the manager did not.
    expect(lost, 'kubekit_manager_leadership_transitions_total{transition="lost"}').to.equal(1);
  });

  it('regression: a cache whose waitForCacheSync ignores the signal does not keep start() from settling', async () => {
    // startCaches awaits waitForCacheSync(shutdown.signal) inside start()'s try block: shutdown
    // (SIGTERM) cannot get past it, gracefulShutdownTimeout never applies, stopAll never runs,
    // and start() never settles (only a second SIGTERM's exit(1) ends the process).
    const a = world.add('a', { manager: { gracefulShutdownTimeout: 5_000 } });
    a.manager.add(
      {
        start: (signal: AbortSignal) => untilAborted(signal),
        waitForCacheSync: () => new Promise<boolean>(() => undefined), // e.g. a list that hangs
      } as Runnable,
      { name: 'informer' },
    );
    a.start();
    await world.advance(1_000);
    a.stop.abort();
    await world.advance(60_000);
    expect(a.settledAt, 'start() settled').to.be.a('number');
  });
});

describe('review 2 regressions: runnables that break the contract (leaderElection: false)', () => {
  it('regression: a start() that returns no promise gets a typed error, no unhandled rejection, and start() settles', async () => {
    // SoleTerm.runWhileLeading returns fn()'s value unchecked; RunnableGroup.run then calls
    // `undefined.then` outside its try: runTerm (async) rejects, `void this.runTerm(term).then(...)`
    // leaves the rejection unhandled (fatal in Node by default) and TermRunner stays busy for
    // ever, so start() never settles even after its signal aborts. (In the 'others' group the
    // same TypeError escapes start() or add() raw.)
    const { default: sinon } = await import('sinon');
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    const listeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    try {
      const manager = createManager({ registry: new (await import('prom-client')).Registry() });
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
      expect(unhandled.map(String), 'unhandled rejections').to.deep.equal([]);
      expect(ManagerError.is(outcome), `outcome ${String(outcome)}`).to.equal(true);
    } finally {
      clock.restore();
      process.off('unhandledRejection', onUnhandled);
      for (const listener of listeners) process.on('unhandledRejection', listener);
    }
  });
});

describe('review 2 regressions: starts after shutdown began (virtual time)', () => {
  let world: VirtualWorld;
  beforeEach(() => {
    world = new VirtualWorld();
  });
  afterEach(async () => {
    await world.dispose();
  });

  it('regression: a runnable that begins shutdown from the synchronous part of its start: later runnables of the term are not started', async () => {
    // runTerm starts the term's runnables in one synchronous loop without re-checking its
    // controller. `first` calls the application's stop (the signal given to start()) while
    // starting, e.g. on a fatal configuration error: beginShutdown aborts the shutdown signal and
    // the term's controller, yet the loop goes on and starts `second` (with an aborted signal)
    // after shutdown began. addRunnable checks `controller.signal.aborted`; this loop does not.
    const log = new Recorder();
    const a = world.add('a');
    a.manager.add(
      runnable(async () => {
        log.note('start first');
        a.stop.abort();
        await Promise.resolve();
      }),
      { name: 'first' },
    );
    a.manager.add(log.runnable('second'), { name: 'second' });
    a.start();
    await world.advance(1_000);
    expect(a.outcome).to.equal('resolved');
    expect(log.whats()).to.deep.equal(['start first']);
  });
});

describe('review 2 regressions: a custom Elector', () => {
  it('regression: an Elector whose run() throws synchronously gets leaderElectionFailed, not a raw error', async () => {
    const { BehaviorSubject, EMPTY } = await import('rxjs');
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
      registry: new (await import('prom-client')).Registry(),
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

describe('review 2 regressions: Manager without leader election', () => {
  it('regression: a throwing leadership$ subscriber does not crash the process (SoleElector is not guarded)', async () => {
    // The lease and leader-for-life electors guard their subscribers (guardSubscribers); the
    // SoleElector of `leaderElection: false` exposes a bare BehaviorSubject. rxjs reports an error
    // thrown by a subscriber without an error handler on a timer: an uncaught exception.
    const { default: sinon } = await import('sinon');
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    try {
      const manager = createManager({ registry: new (await import('prom-client')).Registry() });
      manager.leadership$.subscribe((l) => {
        if (l.leading) throw new Error('subscriber bug');
      });
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
      expect(thrown, 'an exception escaped to the timers (uncaught in a real process)').to.equal(undefined);
    } finally {
      clock.restore();
    }
  });

  it('regression: start() with something that is not an AbortSignal rejects with a typed error and does not brick the manager', async () => {
    const manager = createManager({ registry: new (await import('prom-client')).Registry() });
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

export type { Term };

import { expect } from 'chai';
import type { Leadership } from '@kubekit/leaderelection';
import { ManagerError, runnable } from '@kubekit/manager';
import { Recorder } from '../support/recorder.js';
import { cacheThatNeverSyncs } from '../support/runnables.js';
import { stubbornLeaderAndFollower } from '../support/stubborn-leader.js';
import { useVirtualWorld } from '../support/use-virtual-world.js';

// Each regression test describes a way shutdown went wrong (the comments tell how); they now pin
// the fixes.

describe('Manager: shutdown paths (virtual time)', () => {
  const world = useVirtualWorld();

  it('regression: a loss during shutdown still bounds gated runnables by exclusiveUntil − margin (not gracefulShutdownTimeout)', async () => {
    // 1. a leads with a gated runnable that ignores its signal; b follows.
    // 2. a is told to stop; at the same moment its API connection hangs.
    // 3. Shutdown phase 1: TermRunner.afterShutdown waits up to gracefulShutdownTimeout (30 s);
    //    the elector is not stopped yet, keeps trying to renew, and loses the term at ≈10 s.
    //    runTerm removed its term listener when shutdown began, so the loss bound (exclusiveUntil −
    //    lossMargin) is never applied.
    // 4. b acquires at ≈15 s while a's stubborn runnable still runs and a's start() has not
    //    settled: the manager neither stopped nor named it before another replica could lead.
    const { log, a, b } = await stubbornLeaderAndFollower(world);
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
    a.manager.add(cacheThatNeverSyncs(), { name: 'informer' });
    a.start();
    await world.advance(1_000);
    a.stop.abort();
    await world.advance(60_000);
    expect(a.settledAt, 'start() settled').to.be.a('number');
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

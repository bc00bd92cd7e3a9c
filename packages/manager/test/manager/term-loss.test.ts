import { expect } from 'chai';
import type { Leadership } from '@kubekit/leaderelection';
import { ManagerError, runnable } from '@kubekit/manager';
import { watchHolder } from '../support/lease-watch.js';
import { memoryLogger, Recorder } from '../support/recorder.js';
import { captureUnhandledRejections } from '../support/unhandled-rejections.js';
import { stubbornLeaderAndFollower } from '../support/stubborn-leader.js';
import { useVirtualWorld } from '../support/use-virtual-world.js';

/** Reads `signal.aborted` afresh after an await. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

// Each regression test describes an interleaving the Manager got wrong when a term was lost (the
// comments tell how it went wrong); they now pin the fixes.

describe('Manager: a lost term and the next one (virtual time)', () => {
  const world = useVirtualWorld();

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
    const { log, a, b } = await stubbornLeaderAndFollower(world);
    const first = a.elector.currentTerm()!;
    const releases: number[] = [];
    const watch = watchHolder(world.store(), (holder) => {
      if (holder === '') releases.push(performance.now());
    });
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
    const base = memoryLogger();
    const logger = {
      ...base,
      warn: () => {
        throw new Error('log transport down');
      },
    };
    const unhandled = captureUnhandledRejections();
    try {
      const log = new Recorder();
      const a = world.add('a', { manager: { logger } });
      a.manager.add(log.runnable('gated'));
      a.start();
      await world.advance(100);
      a.lock.partition('hang');
      await world.advance(20_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled.reasons.map(String), 'unhandled rejections').to.deep.equal([]);
      expect(ManagerError.is(a.outcome, 'leadershipLost'), `outcome ${String(a.outcome)}`).to.equal(true);
    } finally {
      unhandled.restore();
    }
  });
});

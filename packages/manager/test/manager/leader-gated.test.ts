import { expect } from 'chai';
import type { Term } from '@kubekit/leaderelection';
import { fromFactory, lossMargin, ManagerError, runnable } from '@kubekit/manager';
import { watchHolder } from '../support/lease-watch.js';
import { Recorder } from '../support/recorder.js';
import { untilAborted } from '../support/runnables.js';
import { useVirtualWorld } from '../support/use-virtual-world.js';

async function metric(
  registry: import('prom-client').Registry,
  name: string,
): Promise<Record<string, number>> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values: Record<string, number> = {};
  for (const value of found?.values ?? []) {
    values[String(value.labels['transition'] ?? 'value')] = value.value;
  }
  return values;
}

describe('Manager with a lease elector (virtual time)', () => {
  const world = useVirtualWorld();

  describe('leader-gated runnables', () => {
    it('start only after acquisition, at the instant the term begins, and never on a follower', async () => {
      const log = new Recorder();
      const a = world.add('a');
      const b = world.add('b');
      const termsA: (Term | undefined)[] = [];
      a.manager.add(log.runnable('a-gated', { terms: termsA }));
      a.manager.add(log.runnable('a-everywhere', { needLeaderElection: false }));
      b.manager.add(log.runnable('b-gated'));
      b.manager.add(log.runnable('b-everywhere', { needLeaderElection: false }));
      const acquired: number[] = [];
      a.manager.leadership$.subscribe((l) => {
        if (l.leading) acquired.push(performance.now());
      });
      a.start();
      await world.advance(0);
      expect(log.whats()).to.deep.equal(['start a-everywhere']);
      await world.advance(1_000);
      b.start();
      await world.advance(60_000);
      expect(log.whats()).to.deep.equal(['start a-everywhere', 'start a-gated', 'start b-everywhere']);
      const started = log.find('start a-gated')[0];
      expect(started?.at).to.equal(acquired[0]);
      expect(termsA[0]?.epoch).to.equal(0);
      expect(termsA[0]?.identity).to.equal('a');
      expect((await a.manager.elected()).epoch).to.equal(0);
      expect(b.elector.currentLeader()).to.equal('a');
    });

    it('on loss are all signalled at the same instant, awaited, and start() rejects with leadershipLost (exit)', async () => {
      const log = new Recorder();
      const a = world.add('a');
      for (const name of ['g1', 'g2', 'g3'])
        a.manager.add(log.runnable(name, { stopDelayMs: 50 * name.length }));
      a.start();
      await world.advance(100);
      expect(log.find('start g3')).to.have.length(1);
      const term = a.elector.currentTerm();
      let endedAt: number | undefined;
      term?.signal.addEventListener('abort', () => {
        endedAt = performance.now();
      });
      a.lock.partition('hang');
      await world.advance(20_000);
      expect(endedAt).to.be.a('number');
      const aborts = ['g1', 'g2', 'g3'].map((name) => log.find(`abort ${name}`)[0]?.at);
      for (const at of aborts) expect(at! - endedAt!).to.be.within(0, 5);
      const stops = ['g1', 'g2', 'g3'].map((name) => log.find(`stop ${name}`)[0]?.at ?? Infinity);
      expect(a.settledAt).to.be.a('number');
      for (const at of stops) expect(at).to.be.at.most(a.settledAt!);
      expect(ManagerError.is(a.outcome, 'leadershipLost')).to.equal(true);
      expect((a.outcome as ManagerError).runnables).to.deep.equal([]);
      expect((a.outcome as Error).message).to.match(/onLeadershipLost is "exit"/);
      expect(await metric(a.registry, 'kubekit_manager_leadership_transitions_total')).to.deep.include({
        acquired: 1,
        lost: 1,
      });
    });

    it('names a runnable that ignores its signal and stops the manager before the lease can expire elsewhere', async () => {
      const log = new Recorder();
      const a = world.add('a');
      const b = world.add('b');
      a.manager.add(log.runnable('polite'));
      a.manager.add(log.runnable('stubborn', { ignoreSignal: true }), { name: 'stubborn' });
      a.start();
      await world.advance(100);
      b.start();
      await world.advance(100);
      const term = a.elector.currentTerm()!;
      a.lock.partition('hang');
      let bLeadsAt: number | undefined;
      b.manager.leadership$.subscribe((l) => {
        if (l.leading) bLeadsAt ??= performance.now();
      });
      await world.advance(30_000);
      expect(ManagerError.is(a.outcome, 'leadershipLost')).to.equal(true);
      expect((a.outcome as ManagerError).runnables).to.deep.equal(['stubborn']);
      expect((a.outcome as Error).message).to.match(/stubborn did not stop within \d+ ms/);
      expect(a.settledAt).to.be.below(term.exclusiveUntil());
      expect(a.settledAt).to.be.at.most(term.exclusiveUntil() - lossMargin / 2);
      expect(bLeadsAt).to.be.a('number');
      expect(a.settledAt).to.be.below(bLeadsAt!);
      expect(
        a.logger.lines.some((line) => line.level === 'error' && line.message.includes('stubborn')),
      ).to.equal(true);
    });

    it('when another holder took over, the bound is 0: a runnable that does not stop at once is named', async () => {
      const log = new Recorder();
      const a = world.add('a');
      a.manager.add(log.runnable('prompt'), { name: 'prompt' });
      a.manager.add(log.runnable('slow', { stopDelayMs: 50 }), { name: 'slow' });
      a.start();
      await world.advance(100);
      const term = a.elector.currentTerm()!;
      // Someone outside the protocol writes another holder; a finds out at its next renew.
      world.store().put({
        holderIdentity: 'intruder',
        leaseDurationSeconds: 15,
        acquireTime: undefined,
        renewTime: undefined,
        leaseTransitions: 7,
      });
      await world.advance(3_000);
      expect(term.signal.aborted).to.equal(true);
      const lostAt = log.find('abort prompt')[0]!.at;
      expect(term.exclusiveUntil()).to.equal(lostAt);
      expect(ManagerError.is(a.outcome, 'leadershipLost')).to.equal(true);
      expect((a.outcome as ManagerError).runnables).to.deep.equal(['slow']);
      expect((a.outcome as Error).message).to.match(/intruder holds the lock.*slow did not stop within 0 ms/);
      expect(a.settledAt! - lostAt).to.be.below(5);
    });

    it('recampaign: runs the gated set again in each new term, three losses in a row, with new epochs', async () => {
      const log = new Recorder();
      const a = world.add('a', { manager: { onLeadershipLost: 'recampaign' } });
      const instances: number[] = [];
      let made = 0;
      a.manager.add(
        fromFactory(() => {
          const id = made++;
          return runnable(
            async (signal, context) => {
              instances.push(id);
              log.note('start', context?.term?.epoch);
              await untilAborted(signal);
              log.note('stop');
            },
            { restartable: false },
          );
        }),
      );
      a.start();
      await world.advance(100);
      for (let loss = 0; loss < 3; loss++) {
        a.lock.partition('hang');
        await world.advance(11_000);
        expect(a.elector.currentTerm()).to.equal(undefined);
        a.lock.partition('none');
        await world.advance(3_000);
      }
      expect(a.outcome).to.equal(undefined);
      expect(log.steps.filter((s) => s.what === 'start').map((s) => s.epoch)).to.deep.equal([0, 1, 2, 3]);
      expect(log.whats()).to.deep.equal(['start', 'stop', 'start', 'stop', 'start', 'stop', 'start']);
      expect(instances).to.deep.equal([0, 1, 2, 3]);
      expect(await metric(a.registry, 'kubekit_manager_leadership_transitions_total')).to.deep.include({
        acquired: 4,
        lost: 3,
      });
      a.stop.abort();
      await world.advance(1_000);
      expect(a.outcome).to.equal('resolved');
    });

    it('recampaign rejects a leader-gated runnable that cannot restart, at add', () => {
      const a = world.add('a', { manager: { onLeadershipLost: 'recampaign' } });
      const once = { start: () => Promise.resolve() };
      expect(() => {
        a.manager.add(once, { name: 'once' });
      })
        .to.throw(/add once: .*fromFactory/)
        .that.satisfies((e: unknown) => ManagerError.is(e, 'invalidConfig'));
      const everywhere = { start: () => Promise.resolve(), needLeaderElection: () => false };
      a.manager.add(everywhere);
    });

    it('a follower shutting down never starts gated runnables, even if its elector acquires during the stop', async () => {
      const log = new Recorder();
      const a = world.add('a');
      const b = world.add('b', { latencyMs: 20 });
      a.manager.add(log.runnable('a-gated'));
      b.manager.add(log.runnable('b-gated'));
      a.start();
      await world.advance(100);
      b.start();
      await world.advance(1_000);
      let bLed = false;
      b.elector.leadership$.subscribe((l) => {
        if (l.leading) bLed = true;
      });
      // A releases; B sees the release through its watch (20 ms) and sends its acquire, which
      // lands 20 ms later; its answer needs 20 ms more...
      a.stop.abort();
      await world.advance(45);
      expect(world.store().holder()).to.equal('b');
      expect(bLed).to.equal(false);
      // ...and B's manager is told to stop while that answer is on its way.
      b.stop.abort();
      await world.advance(5_000);
      expect(bLed).to.equal(true);
      expect(log.whats()).to.deep.equal(['start a-gated', 'abort a-gated', 'stop a-gated']);
      expect(b.outcome).to.equal('resolved');
      expect(world.store().holder()).to.equal('');
    });

    it('a normal shutdown reports no loss: no error, no lost metric, no warning', async () => {
      const log = new Recorder();
      const a = world.add('a');
      a.manager.add(log.runnable('gated'));
      a.start();
      await world.advance(5_000);
      a.stop.abort();
      await world.advance(1_000);
      expect(a.outcome).to.equal('resolved');
      const transitions = await metric(a.registry, 'kubekit_manager_leadership_transitions_total');
      expect(transitions).to.deep.include({ acquired: 1, stopped: 1 });
      expect(transitions).not.to.have.property('lost');
      expect(a.logger.lines.filter((l) => l.level === 'warn' || l.level === 'error')).to.deep.equal([]);
    });

    it('releases the lease only after the gated work has drained', async () => {
      const log = new Recorder();
      const a = world.add('a');
      a.manager.add(log.runnable('slow', { stopDelayMs: 3_000 }));
      a.start();
      await world.advance(100);
      const releases: number[] = [];
      const store = world.store();
      const watch = watchHolder(store, (holder) => {
        if (holder === '') releases.push(performance.now());
      });
      await world.advance(10);
      a.stop.abort();
      await world.advance(2_900);
      expect(store.holder()).to.equal('a');
      await world.advance(1_000);
      watch.abort();
      const stopped = log.find('stop slow')[0]!.at;
      expect(releases).to.have.length(1);
      expect(releases[0]).to.be.at.least(stopped);
      expect(a.outcome).to.equal('resolved');
    });

    it('two managers with different leases in one process lead independently', async () => {
      const log = new Recorder();
      const x = world.add('p', { lockName: 'lease-x' });
      const y = world.add('p', { lockName: 'lease-y' });
      x.manager.add(log.runnable('x'));
      y.manager.add(log.runnable('y'));
      x.start();
      y.start();
      await world.advance(100);
      expect(log.whats()).to.have.members(['start x', 'start y']);
      x.stop.abort();
      await world.advance(100);
      expect(world.store('lease-x').holder()).to.equal('');
      expect(world.store('lease-y').holder()).to.equal('p');
      expect(y.manager.getElector().currentTerm()?.isValid()).to.equal(true);
      expect(log.whats()).to.deep.equal(['start x', 'start y', 'abort x', 'stop x']);
    });

    it('add after start: at once while leading, at the next acquisition on a follower', async () => {
      const log = new Recorder();
      const a = world.add('a');
      const b = world.add('b');
      a.start();
      await world.advance(100);
      b.start();
      await world.advance(100);
      a.manager.add(log.runnable('late-a'));
      a.manager.add(log.runnable('late-a-everywhere', { needLeaderElection: false }));
      b.manager.add(log.runnable('late-b'));
      await world.advance(0);
      expect(log.whats()).to.deep.equal(['start late-a', 'start late-a-everywhere']);
      a.stop.abort();
      await world.advance(1_000);
      expect(log.whats()).to.include('start late-b');
      expect(log.find('start late-b')[0]?.epoch).to.equal(1);
      expect(a.outcome).to.equal('resolved');
      expect(() => {
        a.manager.add(log.runnable('too-late'));
      })
        .to.throw(/the manager is stopped/)
        .that.satisfies((e: unknown) => ManagerError.is(e, 'invalidState'));
    });
  });
});

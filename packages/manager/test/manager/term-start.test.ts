import { expect } from 'chai';
import type { Gauge, Registry } from 'prom-client';
import sinon from 'sinon';
import { runnable } from '@kubekit/manager';
import { Recorder } from '../support/recorder.js';
import { useVirtualWorld } from '../support/use-virtual-world.js';

// A term's leader-gated runnables start synchronously inside the elector's publication of the term
// (beginTerm), before the manager counts and logs it (awaitTerm): what a start() may do there.

async function transitions(registry: Registry, name: string): Promise<Record<string, number>> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values: Record<string, number> = {};
  for (const value of found?.values ?? []) {
    const label = value.labels['transition'];
    if (label !== undefined) values[String(label)] = value.value;
  }
  return values;
}

describe('Manager: the start of a term (virtual time)', () => {
  const world = useVirtualWorld();

  it('a start() that stops the manager synchronously: nothing more starts, every run is awaited, the lease is released', async () => {
    const log = new Recorder();
    const a = world.add('a');
    const b = world.add('b');
    a.manager.add(log.runnable('first', { stopDelayMs: 200 }));
    a.manager.add(
      runnable(
        (signal) => {
          log.note('start stopper');
          a.stop.abort();
          log.note(`stopper sees aborted=${String(signal.aborted)}`);
          return Promise.resolve();
        },
        { needLeaderElection: true, restartable: true },
      ),
    );
    a.manager.add(log.runnable('after'));
    b.manager.add(log.runnable('b-gated'));
    a.start();
    await world.advance(100);
    b.start();
    await world.advance(20_000);
    expect(a.outcome).to.equal('resolved');
    const aSteps = log.whats().filter((what) => !what.includes('b-gated'));
    expect(aSteps).to.deep.equal([
      'start first',
      'start stopper',
      'abort first',
      'stopper sees aborted=true',
      'stop first',
    ]);
    // a released after its runs stopped: b led at once, not after expiry.
    const bStart = log.find('start b-gated')[0]?.at;
    expect(bStart).to.be.a('number');
    expect(bStart!).to.be.at.least(log.find('stop first')[0]!.at);
    expect(bStart!).to.be.below(1_000);
    expect(await transitions(a.registry, 'kubekit_manager_leadership_transitions_total')).to.deep.equal({
      acquired: 1,
      stopped: 1,
    });
    expect(await transitions(a.registry, 'leader_election_transitions_total')).to.deep.equal({
      acquired: 1,
      stopped: 1,
    });
  });

  it('a start() that adds a leader-gated runnable: it starts once in this term and is awaited at shutdown', async () => {
    const log = new Recorder();
    const a = world.add('a');
    const child = log.runnable('child', { stopDelayMs: 300 });
    a.manager.add(
      runnable(
        async (signal) => {
          log.note('start parent');
          a.manager.add(child);
          await new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => {
              resolve();
            });
          });
          log.note('stop parent');
        },
        { needLeaderElection: true, restartable: true },
      ),
    );
    a.start();
    await world.advance(1_000);
    expect(log.whats()).to.deep.equal(['start parent', 'start child']);
    a.stop.abort();
    await world.advance(5_000);
    expect(a.outcome).to.equal('resolved');
    expect(log.find('start child')).to.have.length(1);
    expect(log.find('stop child')[0]!.at).to.be.at.most(a.settledAt!);
    expect(a.elector.released).to.equal(true);
    const started = a.logger.lines.find((line) => line.message.startsWith('leading: started'));
    expect(started?.fields).to.include({ epoch: 0 });
  });
  it('a start() that blocks the event loop past renewDeadline: the term is lost as its renew loop begins, before anyone else leads', async () => {
    const log = new Recorder();
    const a = world.add('a');
    const b = world.add('b');
    let blocked = false;
    a.manager.add(
      runnable(
        async (signal) => {
          log.note('start a-gated');
          if (!blocked) {
            blocked = true;
            world.clock.tick(11_000); // synchronous work of 11 s (renewDeadline: 10 s)
          }
          await new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => {
              resolve();
            });
          });
          log.note('stop a-gated');
        },
        { needLeaderElection: true, restartable: true },
      ),
    );
    b.manager.add(log.runnable('b-gated'));
    a.start();
    await world.advance(0);
    b.start();
    await world.advance(40_000);
    expect(log.whats()).to.deep.equal(['start a-gated', 'stop a-gated', 'start b-gated']);
    // Aborted as soon as the elector went on after the publication (no renew was tried).
    expect(log.find('stop a-gated')[0]!.at - log.find('start a-gated')[0]!.at).to.be.within(11_000, 11_001);
    expect(log.find('stop a-gated')[0]!.at).to.be.below(log.find('start b-gated')[0]!.at);
    expect((a.outcome as Error).message).to.match(/no successful renew within renewDeadline/);
  });

  it('the rehearsal of a term start before the campaign starts no runnable, counts nothing and logs nothing', async () => {
    const log = new Recorder();
    const a = world.add('a');
    const b = world.add('b');
    b.manager.add(log.runnable('b-gated'));
    const running = b.registry.getSingleMetric('kubekit_manager_leader_runnables') as Gauge;
    const setRunning = sinon.spy(running, 'set');
    a.start();
    await world.advance(100);
    b.start();
    await world.advance(2_000);
    b.manager.add(log.runnable('b-added'));
    await world.advance(3_000);
    // b rehearsed the start of a term as it started, and follows: nothing of it shows.
    expect(log.whats()).to.deep.equal([]);
    expect(setRunning.called).to.equal(false);
    expect(await transitions(b.registry, 'kubekit_manager_leadership_transitions_total')).to.deep.equal({});
    expect(b.logger.lines.filter((line) => /leading|leader-gated|runnable/.test(line.message))).to.deep.equal(
      [],
    );
    a.stop.abort();
    await world.advance(5_000);
    expect(log.find('start b-gated').map((step) => step.epoch)).to.deep.equal([1]);
    expect(log.find('start b-added').map((step) => step.epoch)).to.deep.equal([1]);
    expect(
      setRunning.args.some((args: unknown[]) => args.includes(1)),
      'counted once it led',
    ).to.equal(true);
  });
});

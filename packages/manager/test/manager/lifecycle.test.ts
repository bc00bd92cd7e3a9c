import { expect } from 'chai';
import { Registry } from 'prom-client';
import { LeaderElectionError } from '@kubekit/leaderelection';
import { createManager, Manager, ManagerError, runnable, type CacheRunnable } from '@kubekit/manager';
import { watchHolder } from '../support/lease-watch.js';
import { Recorder } from '../support/recorder.js';
import { untilAborted } from '../support/runnables.js';
import { useVirtualWorld } from '../support/use-virtual-world.js';

/** A cache that syncs `syncMs` after it starts (or never, or fails), noting what it does. */
function cache(log: Recorder, name: string, syncMs: number | 'never' | 'fail' = 100): CacheRunnable {
  let synced: () => void = () => undefined;
  const whenSynced = new Promise<void>((resolve) => {
    synced = resolve;
  });
  return {
    start: async (signal) => {
      log.note(`start ${name}`);
      if (typeof syncMs === 'number') {
        setTimeout(() => {
          log.note(`synced ${name}`);
          synced();
        }, syncMs);
      }
      await untilAborted(signal);
      log.note(`stop ${name}`);
    },
    waitForCacheSync: async (signal) => {
      if (syncMs === 'fail') throw new Error('no RBAC to list');
      if (syncMs === 'never') return false;
      await Promise.race([
        whenSynced,
        new Promise((resolve) => {
          signal.addEventListener('abort', resolve);
        }),
      ]);
      return !signal.aborted;
    },
  };
}

describe('Manager lifecycle (virtual time)', () => {
  const world = useVirtualWorld();

  it('starts caches (synced) → others → campaign → leader-gated, and stops in reverse, releasing after the gated set', async () => {
    const log = new Recorder();
    const a = world.add('a', { latencyMs: 5 });
    a.manager.add(log.runnable('gated'));
    a.manager.add(log.runnable('other', { needLeaderElection: false }));
    a.manager.add(cache(log, 'cache', 100));
    const observing = watchHolder(world.store(), (holder) => {
      log.note(`lease holder "${holder ?? ''}"`);
    });
    a.start();
    await world.advance(50);
    expect(log.whats()).to.deep.equal(['start cache']);
    await world.advance(1_000);
    a.stop.abort();
    await world.advance(1_000);
    observing.abort();
    expect(a.outcome).to.equal('resolved');
    expect(log.whats()).to.deep.equal([
      'start cache',
      'synced cache',
      'start other',
      'lease holder "a"',
      'start gated',
      'abort gated',
      'stop gated',
      'lease holder ""',
      'abort other',
      'stop other',
      'stop cache',
    ]);
    expect(a.manager.state).to.equal('stopped');
  });

  it('does not go past a cache that cannot sync: startFailed, later groups never start', async () => {
    const log = new Recorder();
    const manager = createManager({ registry: new Registry() });
    manager.add(cache(log, 'c1', 'never'), { name: 'c1' });
    manager.add(log.runnable('other', { needLeaderElection: false }));
    const started = manager.start(new AbortController().signal);
    const outcome = started.catch((error: unknown) => error);
    await world.advance(10);
    const error = await outcome;
    expect(ManagerError.is(error, 'startFailed')).to.equal(true);
    expect((error as Error).message).to.equal(
      'cache c1 could not sync; the manager does not start the later groups',
    );
    expect(log.whats()).to.deep.equal(['start c1', 'stop c1']);

    const failing = createManager({ registry: new Registry() });
    failing.add(cache(log, 'c2', 'fail'), { name: 'c2' });
    const second = failing.start(new AbortController().signal).catch((e: unknown) => e);
    await world.advance(10);
    expect(await second)
      .to.satisfy((e: unknown) => ManagerError.is(e, 'startFailed'))
      .and.have.property('message', 'cache c2 failed to sync: no RBAC to list');
  });

  it('stops with the first runnable error, wrapped with its name, and stops everything else', async () => {
    const log = new Recorder();
    const manager = new Manager({ registry: new Registry() });
    const boom = new Error('boom');
    manager.add(log.runnable('gated'));
    manager.add(log.runnable('bad', { needLeaderElection: false, failAfterMs: { ms: 100, error: boom } }), {
      name: 'bad',
    });
    manager.add(
      log.runnable('worse', {
        needLeaderElection: false,
        failAfterMs: { ms: 100, error: new Error('second') },
      }),
      { name: 'worse' },
    );
    const outcome = manager.start(new AbortController().signal).catch((e: unknown) => e);
    await world.advance(1_000);
    const error = (await outcome) as ManagerError;
    expect(error.kind).to.equal('runnableFailed');
    expect(error.cause).to.equal(boom);
    expect(error.runnables).to.deep.equal(['bad']);
    expect(error.message).to.equal('runnable bad failed: boom');
    expect(log.whats()).to.include.members(['abort gated', 'stop gated']);
  });

  it('without leader election, leader-gated runnables start after the others, in a term of epoch 0 that lasts until shutdown', async () => {
    const log = new Recorder();
    const manager = new Manager({ registry: new Registry() });
    const terms: unknown[] = [];
    manager.add(log.runnable('gated', { terms: terms as never }));
    manager.add(log.runnable('other', { needLeaderElection: false }));
    const stop = new AbortController();
    const done = manager.start(stop.signal);
    const term = await manager.elected();
    expect(term.epoch).to.equal(0);
    expect(term.isValid()).to.equal(true);
    expect(term.remainingMs()).to.equal(Infinity);
    expect(term.exclusiveUntil()).to.equal(Infinity);
    expect(await term.track(Promise.resolve(3))).to.equal(3);
    expect(manager.getElector().currentLeader()).to.equal('sole');
    expect(manager.getElector().healthy()).to.equal(true);
    expect(log.whats()).to.deep.equal(['start other', 'start gated']);
    expect(terms[0]).to.equal(term);
    stop.abort();
    await world.advance(10);
    await done;
    expect(term.isValid()).to.equal(false);
    expect(term.validUntil()).to.be.a('number').below(Infinity);
    expect(term.remainingMs()).to.equal(0);
    await term
      .runWhileLeading('x', () => Promise.resolve())
      .then(
        () => expect.fail('ran in an ended term'),
        (e: unknown) => expect(LeaderElectionError.is(e, 'stopped')).to.equal(true),
      );
    await manager.elected().then(
      () => expect.fail('elected after stop'),
      (e: unknown) => expect(LeaderElectionError.is(e, 'stopped')).to.equal(true),
    );
  });

  it('gracefulShutdownTimeout: names what did not stop (shutdownTimeout); 0 does not wait', async () => {
    const log = new Recorder();
    const manager = new Manager({ registry: new Registry(), gracefulShutdownTimeout: 5_000 });
    manager.add(log.runnable('stuck', { needLeaderElection: false, ignoreSignal: true }), { name: 'stuck' });
    manager.add(log.runnable('stuck-gated', { ignoreSignal: true }), { name: 'stuck-gated' });
    const stop = new AbortController();
    const outcome = manager.start(stop.signal).catch((e: unknown) => e);
    await world.advance(10);
    stop.abort();
    await world.advance(4_900);
    expect(manager.state).to.equal('stopping');
    await world.advance(200);
    const error = (await outcome) as ManagerError;
    expect(error.kind).to.equal('shutdownTimeout');
    expect(error.runnables).to.deep.equal(['stuck-gated', 'stuck']);
    expect(error.message).to.match(/gracefulShutdownTimeout \(5000 ms\); still running: stuck-gated, stuck/);

    const quick = new Manager({ registry: new Registry(), gracefulShutdownTimeout: 0 });
    quick.add(log.runnable('stuck-2', { needLeaderElection: false, ignoreSignal: true }));
    const stop2 = new AbortController();
    const done = quick.start(stop2.signal);
    await world.advance(10);
    stop2.abort();
    await world.advance(1);
    await done;
    expect(quick.state).to.equal('stopped');
  });

  it('a runnable that rejects after its signal aborted is stopping, not failing', async () => {
    const manager = new Manager({ registry: new Registry() });
    manager.add(
      runnable(
        (signal) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              reject(new Error('aborted'));
            });
          }),
        { needLeaderElection: false },
      ),
    );
    const stop = new AbortController();
    const done = manager.start(stop.signal);
    await world.advance(10);
    stop.abort();
    await world.advance(10);
    await done;
  });

  it('rejects start twice and add of a non-runnable (invalidState, invalidConfig); a stop signal aborted before start starts nothing', async () => {
    const log = new Recorder();
    const manager = new Manager({ registry: new Registry() });
    expect(() => {
      manager.add({} as never);
    }).to.throw(/add: an object without start\(\) is not a Runnable/);
    expect(() => {
      manager.add((() => undefined) as never);
    }).to.throw(/a function \(anonymous\) is not a Runnable/);
    expect(() => {
      manager.add(null as never);
    }).to.throw(/null is not a Runnable/);
    manager.add(log.runnable('r'));
    const stop = new AbortController();
    stop.abort();
    await manager.start(stop.signal);
    expect(log.whats()).to.deep.equal([]);
    await manager.start(stop.signal).then(
      () => expect.fail('started twice'),
      (e: unknown) => {
        expect(ManagerError.is(e, 'invalidState')).to.equal(true);
        expect((e as Error).message).to.equal('start: the manager is stopped; a manager starts only once');
      },
    );
  });

  it('rejects invalid options with invalidConfig before anything starts', () => {
    const invalid = (options: ConstructorParameters<typeof Manager>[0], pattern: RegExp): void => {
      expect(() => new Manager({ registry: new Registry(), ...options }))
        .to.throw(pattern)
        .that.satisfies((e: unknown) => ManagerError.is(e, 'invalidConfig'));
    };
    invalid(
      { leaderElection: { name: 'x', namespace: 'ns', leaseDuration: 10_000, renewDeadline: 10_000 } },
      /leaderElection: lease ns\/x: leaseDuration \(10s\) must exceed renewDeadline \(10s\)/,
    );
    invalid({ leaderElection: { name: 'x', namespace: 'ns', retryPeriod: -1 } }, /retryPeriod/);
    invalid(
      { leaderElection: { kind: 'other' as never, name: 'x' } },
      /leaderElection.kind "other" is unknown/,
    );
    invalid(
      { leaderElection: { kind: 'leader-for-life', lockName: 'x', namespace: 'ns', env: {} } },
      /leaderElection: leader-for-life configmap ns\/x: POD_NAME is not set/,
    );
    invalid({ onLeadershipLost: 'retry' as never }, /onLeadershipLost "retry" is unknown/);
    invalid({ gracefulShutdownTimeout: -1 }, /gracefulShutdownTimeout \(-1\) must be/);
    invalid({ gracefulShutdownTimeout: Number.NaN }, /gracefulShutdownTimeout/);
    invalid({ healthProbeBindAddress: 'localhost' }, /healthProbeBindAddress "localhost" is not an address/);
    invalid({ metricsBindAddress: ':99999' }, /metricsBindAddress ":99999"/);
  });
});

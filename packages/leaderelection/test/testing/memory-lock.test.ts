import { expect } from 'chai';
import sinon from 'sinon';
import { LeaderElectionError, LeaseElector } from '@kubekit/leaderelection';
import type { LeaderElectionRecord, LockWatchEvent } from '@kubekit/leaderelection';
import { MemoryLockStore } from '@kubekit/leaderelection/testing';

function record(holderIdentity: string): LeaderElectionRecord {
  return {
    holderIdentity,
    leaseDurationSeconds: 15,
    acquireTime: undefined,
    renewTime: undefined,
    leaseTransitions: 0,
  };
}

describe('MemoryLockStore', () => {
  it('creates once, updates by compare-and-swap, and reports conflicts as lockConflict', async () => {
    const store = new MemoryLockStore({ name: 'm', namespace: 'ns' });
    const lock = store.lock('a');
    const signal = new AbortController().signal;
    expect(lock.description).to.equal('lease ns/m');
    expect(await lock.get(signal)).to.equal(undefined);
    const created = await lock.create(record('a'), signal);
    await lock.create(record('b'), signal).then(
      () => expect.fail('created twice'),
      (e: unknown) => expect(LeaderElectionError.is(e, 'lockConflict')).to.equal(true),
    );
    const updated = await lock.update(record('a'), created.resourceVersion, signal);
    expect(updated.resourceVersion).not.to.equal(created.resourceVersion);
    await lock.update(record('b'), created.resourceVersion, signal).then(
      () => expect.fail('stale write applied'),
      (e: unknown) => expect(LeaderElectionError.is(e, 'lockConflict')).to.equal(true),
    );
    expect(store.holder()).to.equal('a');
    expect((await lock.get(signal))?.resourceVersion).to.equal(updated.resourceVersion);
  });

  it('watches from now or from a resourceVersion, replays history, and says watchExpired when too old', async () => {
    const store = new MemoryLockStore({ historyLimit: 2 });
    const first = store.put(record('a'));
    store.put(record('b'));
    const events: LockWatchEvent[] = [];
    const stop = new AbortController();
    let established = 0;
    const handlers = {
      onEstablished: () => {
        established++;
      },
      onEvent: (event: LockWatchEvent) => events.push(event),
    };
    const watching = store.lock('x').watch(first.resourceVersion, handlers, stop.signal);
    await new Promise((resolve) => setImmediate(resolve));
    store.delete();
    store.delete();
    await new Promise((resolve) => setImmediate(resolve));
    expect(established).to.equal(1);
    expect(events.map((e) => e.type)).to.deep.equal(['changed', 'deleted']);
    stop.abort();
    await watching;
    await store
      .lock('x')
      .watch(first.resourceVersion, handlers, new AbortController().signal)
      .then(
        () => expect.fail('resumed from a forgotten version'),
        (e: unknown) => expect(LeaderElectionError.is(e, 'watchExpired')).to.equal(true),
      );
    const aborted = new AbortController();
    aborted.abort();
    await store.lock('x').watch(undefined, handlers, aborted.signal);
  });

  it('partition: hang holds requests until healed, fail refuses them and ends watches', async () => {
    const store = new MemoryLockStore();
    const lock = store.lock('a', { latencyMs: 0 });
    const signal = new AbortController().signal;
    lock.partition('hang');
    expect(lock.partitioned).to.equal('hang');
    let answered = false;
    const pending = lock.create(record('a'), signal).then(() => {
      answered = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).to.equal(false);
    lock.partition('none');
    await pending;
    expect(store.holder()).to.equal('a');

    const stop = new AbortController();
    const watching = lock.watch(
      undefined,
      { onEstablished: () => undefined, onEvent: () => undefined },
      stop.signal,
    );
    await new Promise((resolve) => setImmediate(resolve));
    lock.partition('fail');
    await watching.then(
      () => expect.fail('watch survived'),
      (e: unknown) => expect(LeaderElectionError.is(e, 'apiError')).to.equal(true),
    );
    await lock.get(signal).then(
      () => expect.fail('answered while refused'),
      (e: unknown) => expect((e as LeaderElectionError).statusCode).to.equal(503),
    );
    await lock
      .watch(undefined, { onEstablished: () => undefined, onEvent: () => undefined }, stop.signal)
      .then(
        () => expect.fail('watch opened while refused'),
        (e: unknown) => expect(LeaderElectionError.is(e, 'apiError')).to.equal(true),
      );
    lock.partition('hang');
    const held = lock.get(signal);
    lock.partition('fail');
    await held.then(
      () => expect.fail('held request answered while refused'),
      (e: unknown) => expect(LeaderElectionError.is(e, 'apiError')).to.equal(true),
    );
    const aborting = new AbortController();
    lock.partition('hang');
    const abandoned = lock.get(aborting.signal);
    aborting.abort(new Error('gave up'));
    await abandoned.then(
      () => expect.fail('answered after abort'),
      (e: unknown) => expect((e as Error).message).to.equal('gave up'),
    );
    await lock.get(aborting.signal).catch((e: unknown) => expect((e as Error).message).to.equal('gave up'));
  });

  it('lets two real electors contend in virtual time; a hang partition makes the leader lose', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    try {
      const store = new MemoryLockStore();
      const lockA = store.lock('a', { latencyMs: 1 });
      const a = new LeaseElector({
        lock: lockA,
        registry: null,
        eventRecorder: null,
      });
      const b = new LeaseElector({
        lock: store.lock('b', { latencyMs: 1 }),
        registry: null,
        eventRecorder: null,
      });
      const stop = new AbortController();
      const runs = [a.run(stop.signal)];
      await clock.tickAsync(100);
      runs.push(b.run(stop.signal));
      await clock.tickAsync(100);
      expect(a.currentTerm()?.identity).to.equal('a');
      expect(b.currentLeader()).to.equal('a');
      lockA.partition('hang');
      await clock.tickAsync(30_000);
      expect(b.currentTerm()?.identity).to.equal('b');
      expect(a.currentTerm()).to.equal(undefined);
      lockA.partition('none');
      stop.abort();
      await clock.tickAsync(30_000);
      await Promise.all(runs);
    } finally {
      clock.restore();
    }
  });
});

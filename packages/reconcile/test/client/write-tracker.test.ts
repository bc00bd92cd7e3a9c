import { expect } from 'chai';
import { compareResourceVersions, ReconcileError, type Informer } from '@kubekit/reconcile';
import { WriteTracker, type WriteTarget } from '#lib/client/write-tracker.js';
import { FakeClock, settle } from '../support/fake-clock.js';
import { ScriptedInformer } from '../support/scripted-informer.js';

const kind = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

function target(resourceVersion: string | undefined, gone = false): Omit<WriteTarget, 'seen' | 'floor'> {
  return { key: 'ns/a', namespace: 'ns', labels: {}, uid: 'u1', resourceVersion, gone };
}

describe('compareResourceVersions', () => {
  it('orders integers as numbers, and nothing else', () => {
    expect(compareResourceVersions('9', '10')).to.equal(-1);
    expect(compareResourceVersions('10', '10')).to.equal(0);
    expect(compareResourceVersions('123456789012345678901', '9')).to.equal(1);
    expect(compareResourceVersions('abc', '10')).to.equal(undefined);
    expect(compareResourceVersions('10', undefined)).to.equal(undefined);
    expect(compareResourceVersions('-1', '1')).to.equal(undefined);
  });
});

describe('WriteTracker', () => {
  let clock: FakeClock;
  let tracker: WriteTracker;
  let informer: ScriptedInformer;

  beforeEach(() => {
    clock = new FakeClock();
    tracker = new WriteTracker(clock);
    informer = new ScriptedInformer();
  });

  afterEach(() => {
    tracker.close();
  });

  function asInformer(): Informer {
    return informer as unknown as Informer;
  }

  function pending(): WriteTarget[] {
    return tracker.targetsIn(kind, asInformer());
  }

  async function waitAll(timeoutMs = 1000): Promise<unknown> {
    return tracker.waitFor(kind, asInformer(), pending(), { timeoutMs }, 'read').then(
      () => 'resolved',
      (error: unknown) => error,
    );
  }

  it('with integer versions, ignores an older event and resolves on the written one', async () => {
    informer.deliver('a', '5');
    tracker.record(kind, target('10'), [asInformer()]);
    let outcome: unknown;
    void waitAll().then((o) => (outcome = o));
    informer.deliver('a', '7'); // an older write arriving late
    await settle();
    expect(outcome).to.equal(undefined);
    informer.deliver('a', '10');
    await settle();
    expect(outcome).to.equal('resolved');
    expect(pending()).to.have.length(0); // forgotten once reflected
  });

  it('with integer versions, resolves when the informer passed the write without an event for the object (a bookmark)', async () => {
    tracker.record(kind, target('10'), [asInformer()]);
    let outcome: unknown;
    void waitAll().then((o) => (outcome = o));
    informer.last = '11'; // a bookmark: no event
    await clock.advance(100);
    expect(outcome).to.equal('resolved');
  });

  it('with opaque versions, accepts exactly the written version, or any event for the object after the write', async () => {
    informer.deliver('a', 'opaque-1');
    tracker.record(kind, target('opaque-1'), [asInformer()]);
    expect(await waitAll()).to.equal('resolved');

    tracker.record(kind, target('opaque-2'), [asInformer()]);
    let outcome: unknown;
    void waitAll().then((o) => (outcome = o));
    await clock.advance(300);
    expect(outcome).to.equal(undefined);
    informer.deliver('a', 'opaque-3'); // some event after the write: the fallback accepts it
    await settle();
    expect(outcome).to.equal('resolved');
  });

  it('fails with staleCache after its bound (virtual time)', async () => {
    informer.deliver('a', '5');
    tracker.record(kind, target('10'), [asInformer()]);
    let outcome: unknown;
    void waitAll(1000).then((o) => (outcome = o));
    await clock.advance(999);
    expect(outcome).to.equal(undefined);
    await clock.advance(1);
    expect(ReconcileError.is(outcome, 'staleCache')).to.equal(true);
    expect((outcome as Error).message).to.include('ns/a (resourceVersion 10) within 1000 ms');
  });

  it('after a delete of an object it wrote, waits until the cache has seen that write too, then its removal', async () => {
    informer.last = '3';
    tracker.record(kind, target('10'), [asInformer()]); // created; the cache has not seen it
    tracker.record(kind, { ...target(undefined, true), uid: 'u1' }, [asInformer()]); // deleted at once
    let outcome: unknown;
    void waitAll().then((o) => (outcome = o));
    await clock.advance(200);
    expect(outcome).to.equal(undefined); // absent, but only because the create is not there yet
    informer.deliver('a', '10');
    await settle();
    expect(outcome).to.equal(undefined); // the create arrived: still there
    informer.remove('a', '11');
    await settle();
    expect(outcome).to.equal('resolved');
  });

  it('counts an object of another uid under the name as the deleted one being gone', async () => {
    informer.deliver('a', '5', 'old');
    tracker.record(kind, { ...target(undefined, true), uid: 'old' }, [asInformer()]);
    let outcome: unknown;
    void waitAll().then((o) => (outcome = o));
    await settle();
    expect(outcome).to.equal(undefined);
    informer.deliver('a', '8', 'new');
    await settle();
    expect(outcome).to.equal('resolved');
  });

  it('keeps the newer of two writes answered out of order', () => {
    tracker.record(kind, target('12'), [asInformer()]);
    tracker.record(kind, target('11'), [asInformer()]);
    expect(tracker.targetOf(kind, 'ns/a')?.resourceVersion).to.equal('12');
  });

  it('does not track writes of a kind without informers', () => {
    tracker.record(kind, target('12'), []);
    expect(tracker.targetOf(kind, 'ns/a')).to.equal(undefined);
  });
});

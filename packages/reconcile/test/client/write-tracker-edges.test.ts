import { expect } from 'chai';
import { ReconcileError, type Informer } from '@kubekit/reconcile';
import { WriteTracker, type WriteTarget } from '#lib/client/write-tracker.js';
import { FakeClock, settle } from '../support/fake-clock.js';
import { ScriptedInformer } from '../support/scripted-informer.js';

const kind = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

function written(
  name: string,
  resourceVersion: string | undefined,
  options: { gone?: boolean; uid?: string } = {},
): Omit<WriteTarget, 'seen' | 'floor'> {
  return {
    key: `ns/${name}`,
    namespace: 'ns',
    labels: {},
    uid: options.uid ?? 'u1',
    resourceVersion,
    gone: options.gone ?? false,
  };
}

describe('WriteTracker edge cases', () => {
  let clock: FakeClock;
  let tracker: WriteTracker;

  beforeEach(() => {
    clock = new FakeClock();
    tracker = new WriteTracker(clock);
  });

  afterEach(() => {
    tracker.close();
  });

  function outcomeOf(informer: ScriptedInformer, timeoutMs = 1000): { value: unknown } {
    const box: { value: unknown } = { value: undefined };
    const asInformer = informer as unknown as Informer;
    void tracker.waitFor(kind, asInformer, tracker.targetsIn(kind, asInformer), { timeoutMs }, 'read').then(
      () => (box.value = 'resolved'),
      (error: unknown) => (box.value = error),
    );
    return box;
  }

  describe('the server history is reset (a fresh store: resourceVersions go back)', () => {
    it('a write answered by the new server is tracked, not ignored as older than one of the old server', () => {
      const informer = new ScriptedInformer();
      const asInformer = informer as unknown as Informer;
      informer.last = '4990';
      tracker.record(kind, written('a', '5000'), [asInformer]); // its event never comes: the store is lost
      informer.relistFresh('100');
      tracker.record(kind, written('a', '160', { uid: 'u2' }), [asInformer]); // created again on the new server
      expect(tracker.targetOf(kind, 'ns/a')?.resourceVersion).to.equal('160');
    });

    it('a write lost with the old store does not make every later read of the kind fail with staleCache', async () => {
      const informer = new ScriptedInformer();
      const asInformer = informer as unknown as Informer;
      informer.deliver('a', '4990');
      tracker.record(kind, written('a', '5000'), [asInformer]);
      informer.relistFresh('100');
      informer.deliver('other', '120', 'u9');
      const read = outcomeOf(informer);
      await clock.advance(1000);
      expect(ReconcileError.is(read.value, 'staleCache'), String(read.value)).to.equal(false);
      expect(read.value).to.equal('resolved');
    });
  });

  it('an update answered after a concurrent delete of the same object (the update was older) does not undo the delete', async () => {
    const informer = new ScriptedInformer();
    const asInformer = informer as unknown as Informer;
    informer.deliver('a', '5');
    // Two calls of one client: update (committed at 6) and delete (committed at 7, answered
    // with a Status); the delete's answer arrives first.
    tracker.record(kind, written('a', undefined, { gone: true }), [asInformer]);
    tracker.record(kind, written('a', '6'), [asInformer]);
    informer.deliver('a', '6'); // the update's event; the deletion's is still on its way
    const read = outcomeOf(informer);
    await settle();
    expect(read.value, 'a read after both writes returned sees the deleted object').to.equal(undefined);
    informer.remove('a', '7');
    await settle();
    expect(read.value).to.equal('resolved');
  });

  it('a write reflected by one informer of the kind is still waited for in another that lags', async () => {
    const namespaced = new ScriptedInformer();
    const clusterWide = new ScriptedInformer({ namespace: undefined });
    namespaced.deliver('a', '5');
    clusterWide.deliver('a', '5');
    const both = [namespaced, clusterWide] as unknown as Informer[];
    tracker.record(kind, written('a', '10'), both);
    namespaced.deliver('a', '10'); // the namespaced informer is prompt; the cluster-wide one lags
    await settle();
    const read = outcomeOf(clusterWide);
    await settle();
    expect(read.value, 'a list through the lagging informer returned the object at 5').to.equal(undefined);
    clusterWide.deliver('a', '10');
    await settle();
    expect(read.value).to.equal('resolved');
  });

  it('an informer of the kind that never syncs does not keep targets reflected by the one that is read', async () => {
    const synced = new ScriptedInformer();
    const failing = new ScriptedInformer({ namespace: undefined }); // e.g. forbidden: never lists
    failing.synced = false;
    const both = [synced, failing] as unknown as Informer[];
    for (let i = 0; i < 50; i++) {
      synced.deliver(`o${String(i)}`, String(10 + i)); // the event came before the answer
      tracker.record(kind, written(`o${String(i)}`, String(10 + i)), both);
    }
    await settle();
    expect(tracker.targetsIn(kind, synced as unknown as Informer)).to.have.length(0);
  });

  it('with opaque versions, an event in one informer of the kind does not count for another that lags', async () => {
    const namespaced = new ScriptedInformer();
    const clusterWide = new ScriptedInformer({ namespace: undefined });
    namespaced.deliver('a', 'opaque-1');
    clusterWide.deliver('a', 'opaque-1');
    const both = [namespaced, clusterWide] as unknown as Informer[];
    tracker.record(kind, written('a', 'opaque-2'), both);
    namespaced.deliver('a', 'opaque-2');
    await settle();
    const read = outcomeOf(clusterWide);
    await clock.advance(300);
    expect(read.value, 'a read through the lagging informer returned opaque-1').to.equal(undefined);
    clusterWide.deliver('a', 'opaque-2');
    await settle();
    expect(read.value).to.equal('resolved');
  });

  it('close() leaves no subscription on the informers and no pending write; the tracker subscribes again at its next write', () => {
    const informer = new ScriptedInformer();
    const asInformer = informer as unknown as Informer;
    informer.last = '5';
    tracker.record(kind, written('a', '10'), [asInformer]);
    expect(informer.changes.observed).to.equal(true);
    tracker.close();
    expect(informer.changes.observed).to.equal(false);
    expect(tracker.targetOf(kind, 'ns/a')).to.equal(undefined);
    tracker.record(kind, written('a', '11'), [asInformer]);
    expect(informer.changes.observed).to.equal(true);
  });

  describe('field-selected informers', () => {
    it('keep no target for a write their field selector excludes (no growth, no wait)', () => {
      const informer = new ScriptedInformer({ fieldSelector: 'metadata.name=a' });
      const asInformer = informer as unknown as Informer;
      informer.last = '5';
      for (let i = 0; i < 100; i++)
        tracker.record(kind, written(`b${String(i)}`, String(10 + i)), [asInformer]);
      expect(tracker.targetsIn(kind, asInformer)).to.have.length(0);
    });

    it('forget targets once the informer has passed them, even without an event for the object', async () => {
      // A field the tracker cannot evaluate: it must wait, but not keep the target for ever.
      const informer = new ScriptedInformer({ fieldSelector: 'status.phase=Running' });
      const asInformer = informer as unknown as Informer;
      informer.last = '5';
      tracker.record(kind, written('b', '10'), [asInformer]);
      informer.deliver('c', '11', 'u3'); // the informer moves past the write
      await settle();
      expect(tracker.targetsIn(kind, asInformer)).to.have.length(0);
    });
  });
});

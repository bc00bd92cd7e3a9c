import { expect } from 'chai';
import { useLifelongHarness } from './lifelong-harness.js';

describe('LeaderForLifeElector under attack (review)', () => {
  const harness = useLifelongHarness();
  const { start } = harness;

  it('regression: a follower whose own Pod was force-deleted does not create the lock (a peer would delete it while it leads)', async () => {
    const { api, clock } = harness;
    // Keep the garbage collector out of it: the examiner of op-y is the one that deletes.
    api.gcDelayMs = 60_000;
    api.addPod('op-x');
    const x = start('op-x');
    await clock.tickAsync(10);
    expect(x.elector.currentTerm(), 'op-x leads').to.not.equal(undefined);

    api.addPod('op-0');
    const old = start('op-0'); // follower; remembers its Pod's UID
    api.addPod('op-y');
    const y = start('op-y');
    await clock.tickAsync(10);
    expect(old.elector.currentTerm()).to.equal(undefined);
    expect(y.elector.currentTerm()).to.equal(undefined);

    // `kubectl delete pod op-0 --force --grace-period=0` (or PodGC after its Node object went away):
    // the Pod object is gone at once, its process still runs.
    api.pods.delete('op-0');
    await clock.tickAsync(10);

    // The leader's Pod goes away (its process is dead) and the lock is freed.
    x.controller.abort();
    api.pods.delete('op-x');
    await clock.tickAsync(10);
    // The first watch opened after the lock is freed (the new leader's) fails once: the API server
    // is slow to accept it, a proxy drops it, ... — ordinary, retried after backoff.
    api.fail('watchConfigMap', 500, 1);
    api.removeLock('lock');
    await clock.tickAsync(10);

    const oldTerm = old.elector.currentTerm();
    const yTerm = y.elector.currentTerm();
    // Expected: op-0 (whose Pod no longer exists) must not lead at all; at the very least two
    // electors must never lead at once.
    expect(
      { oldLeads: oldTerm !== undefined, yLeads: yTerm !== undefined },
      'two Pods lead at once (op-0 created the lock for a Pod that no longer exists, op-y deleted it as dangling)',
    ).to.not.deep.equal({ oldLeads: true, yLeads: true });
  });
});

import { expect } from 'chai';
import { useLifelongHarness } from './lifelong-harness.js';

describe('LeaderForLifeElector takeover from a leader Pod', () => {
  const harness = useLifelongHarness();
  const { start, leading } = harness;

  describe('.run', () => {
    it('regression: a lock whose owner Pod is gone is deleted (UID precondition) instead of waited for for ever', async () => {
      const { api } = harness;
      // No garbage collector runs in this fake for a lock put directly: only the follower can free it.
      const lock = api.putLock('lock', { name: 'op-gone', uid: 'gone-uid' });
      api.addPod('op-b');
      const b = start('op-b');
      expect(await leading(b, 10)).to.not.equal(undefined);
      expect(api.calls.filter((call) => call.method.startsWith('delete'))).to.deep.equal([
        { method: 'deleteConfigMap', name: 'lock', uid: lock.uid },
      ]);
      expect(api.locks.get('lock')!.owner?.name).to.equal('op-b');
    });

    it('regression: a lock owned by an old Pod whose name now has another UID is deleted like GC would, never claimed', async () => {
      const { api } = harness;
      const lock = api.putLock('lock', { name: 'op-0', uid: 'old-uid' });
      const pod = api.addPod('op-0'); // recreated StatefulSet Pod: same name, new UID
      api.gcDelayMs = 60_000;
      const a = start('op-0');
      const term = await leading(a, 10);
      expect(term).to.not.equal(undefined);
      // It deleted the old Pod's lock (only that object: UID precondition) and created its own.
      expect(api.calls.filter((call) => call.method === 'deleteConfigMap')).to.deep.equal([
        { method: 'deleteConfigMap', name: 'lock', uid: lock.uid },
      ]);
      expect(api.locks.get('lock')!.uid).to.not.equal(lock.uid);
      expect(api.locks.get('lock')!.owner).to.deep.equal({ name: 'op-0', uid: pod.uid });
      expect(api.count('deletePod')).to.equal(0);
    });

    it('leaves a lock without a Pod owner alone (only its deletion frees it)', async () => {
      const { api } = harness;
      api.putLock('lock', undefined);
      api.addPod('op-b');
      const b = start('op-b');
      expect(await leading(b, 60_000)).to.equal(undefined);
      expect(api.count('deleteConfigMap')).to.equal(0);
      api.removeLock('lock');
      expect(await leading(b, 1)).to.not.equal(undefined);
    });

    it('deletes an Evicted leader Pod with a UID precondition and takes over when GC frees the lock', async () => {
      const { api, clock } = harness;
      const leader = api.addLeaderPod('op-a');
      api.addPod('op-b');
      const b = start('op-b');
      await clock.tickAsync(10);
      expect(b.elector.currentTerm()).to.equal(undefined);
      leader.phase = 'Failed';
      leader.reason = 'Evicted';
      await clock.tickAsync(16_000);
      expect(api.calls.filter((call) => call.method === 'deletePod')).to.deep.equal([
        { method: 'deletePod', name: 'op-a', uid: leader.uid },
      ]);
      expect(b.elector.currentTerm()).to.not.equal(undefined);
    });

    for (const [phase, reason] of [
      ['Failed', 'Preempting'],
      ['Succeeded', undefined],
    ] as const) {
      it(`deletes a leader Pod that is ${phase}${reason === undefined ? '' : `/${reason}`}`, async () => {
        const { api } = harness;
        api.addLeaderPod('op-a', { phase, reason });
        api.addPod('op-b');
        const b = start('op-b');
        expect(await leading(b, 10)).to.not.equal(undefined);
        expect(api.count('deletePod')).to.equal(1);
      });
    }

    it('does not delete a terminated leader Pod again while it is being deleted', async () => {
      const { api } = harness;
      const leader = api.addPod('op-a', { phase: 'Failed', reason: 'Evicted' });
      leader.terminating = true;
      api.putLock('lock', { name: 'op-a', uid: leader.uid });
      api.addPod('op-b');
      const b = start('op-b');
      expect(await leading(b, 60_000)).to.equal(undefined);
      expect(api.count('getPod')).to.be.greaterThan(3);
      expect(api.count('deletePod')).to.equal(0);
    });

    for (const reason of ['OOMKilled', 'Error', 'DeadlineExceeded', undefined]) {
      it(`regression: a leader Pod that Failed${reason === undefined ? ' without a reason' : ` with reason ${reason}`} is deleted so that GC frees the lock`, async () => {
        const { api } = harness;
        const leader = api.addLeaderPod('op-a', { phase: 'Failed', reason });
        api.addPod('op-b');
        const b = start('op-b');
        expect(await leading(b, 10)).to.not.equal(undefined);
        expect(api.calls.filter((call) => call.method === 'deletePod')).to.deep.equal([
          { method: 'deletePod', name: 'op-a', uid: leader.uid },
        ]);
      });
    }

    it('leaves a Running or Pending leader Pod alone', async () => {
      const { api } = harness;
      const leader = api.addLeaderPod('op-a', { phase: 'Pending' });
      api.addPod('op-b');
      const b = start('op-b');
      expect(await leading(b, 30_000)).to.equal(undefined);
      leader.phase = 'Running';
      expect(await leading(b, 30_000)).to.equal(undefined);
      expect(api.count('getPod')).to.be.greaterThan(4);
      expect(api.count('deletePod')).to.equal(0);
    });

    it('does not take over from a leader Pod on a not-Ready Node by default (and never reads the Node)', async () => {
      const { api } = harness;
      const leader = api.addPod('op-a', { nodeName: 'dead' });
      api.nodes.set('dead', { name: 'dead', ready: 'False' });
      api.putLock('lock', { name: 'op-a', uid: leader.uid });
      api.addPod('op-b');
      const b = start('op-b');
      expect(await leading(b, 5 * 60_000)).to.equal(undefined);
      expect(api.count('getNode')).to.equal(0);
      expect(api.count('deletePod')).to.equal(0);
      expect(api.count('deleteConfigMap')).to.equal(0);
    });

    it('with forceTakeoverOnNotReadyNode deletes the leader Pod and the lock (UID preconditions) and takes over after the grace period', async () => {
      const { api } = harness;
      const leader = api.addPod('op-a', { nodeName: 'dead' });
      api.nodes.set('dead', { name: 'dead', ready: 'Unknown' });
      const lock = api.putLock('lock', { name: 'op-a', uid: leader.uid });
      api.addPod('op-b');
      const b = start('op-b', { forceTakeoverOnNotReadyNode: true, notReadyGracePeriod: 30_000 });
      expect(await leading(b, 29_999)).to.equal(undefined);
      expect(api.count('deletePod')).to.equal(0);
      // At the grace period's end exactly, not at the next backoff step.
      expect(await leading(b, 1)).to.not.equal(undefined);
      expect(api.calls.filter((call) => call.method.startsWith('delete'))).to.deep.equal([
        { method: 'deletePod', name: 'op-a', uid: leader.uid },
        { method: 'deleteConfigMap', name: 'lock', uid: lock.uid },
      ]);
      expect(api.pods.get('op-a')?.terminating).to.equal(true);
    });

    it('regression: one not-Ready reading of the leader Node does not trigger a forced takeover', async () => {
      const { api, clock } = harness;
      const leader = api.addPod('op-a', { nodeName: 'flaky' });
      api.nodes.set('flaky', { name: 'flaky', ready: 'False' });
      api.putLock('lock', { name: 'op-a', uid: leader.uid });
      api.addPod('op-b');
      const b = start('op-b', { forceTakeoverOnNotReadyNode: true, notReadyGracePeriod: 20_000 });
      await clock.tickAsync(10);
      expect(api.count('getNode')).to.equal(1);
      api.nodes.set('flaky', { name: 'flaky', ready: 'True' });
      await clock.tickAsync(15_000);
      // Not Ready again: the grace period starts again from this reading.
      api.nodes.set('flaky', { name: 'flaky', ready: 'False' });
      expect(await leading(b, 19_000)).to.equal(undefined);
      expect(api.count('deletePod')).to.equal(0);
      expect(api.count('deleteConfigMap')).to.equal(0);
      expect(await leading(b, 20_000)).to.not.equal(undefined);
    });

    it('starts the grace period again when the Ready condition changed between two not-Ready readings', async () => {
      const { api, clock } = harness;
      const leader = api.addPod('op-a', { nodeName: 'flaky' });
      api.nodes.set('flaky', { name: 'flaky', ready: 'False', readySince: '2026-01-01T00:00:00Z' });
      api.putLock('lock', { name: 'op-a', uid: leader.uid });
      api.addPod('op-b');
      const b = start('op-b', { forceTakeoverOnNotReadyNode: true, notReadyGracePeriod: 20_000 });
      await clock.tickAsync(10_000);
      // It was Ready in between (unseen), and went not Ready again: a new transition time.
      api.nodes.set('flaky', { name: 'flaky', ready: 'False', readySince: '2026-01-01T00:00:15Z' });
      expect(await leading(b, 15_000)).to.equal(undefined);
      expect(api.count('deleteConfigMap')).to.equal(0);
      expect(await leading(b, 30_000)).to.not.equal(undefined);
    });

    it('waits five minutes of not-Ready readings by default before a forced takeover', async () => {
      const { api } = harness;
      const leader = api.addPod('op-a', { nodeName: 'dead' });
      api.nodes.set('dead', { name: 'dead', ready: 'False' });
      api.putLock('lock', { name: 'op-a', uid: leader.uid });
      api.addPod('op-b');
      const b = start('op-b', { forceTakeoverOnNotReadyNode: true });
      expect(await leading(b, 5 * 60_000 - 1)).to.equal(undefined);
      expect(await leading(b, 1)).to.not.equal(undefined);
    });

    it('with forceTakeoverOnNotReadyNode takes over from a still-running leader, which then stands aside', async () => {
      const { api, clock } = harness;
      const old = api.addPod('op-a', { nodeName: 'partitioned' });
      api.nodes.set('partitioned', { name: 'partitioned', ready: 'False' });
      api.addPod('op-b');
      const a = start('op-a');
      const first = await leading(a);
      const b = start('op-b', { forceTakeoverOnNotReadyNode: true, notReadyGracePeriod: 1000 });
      await clock.tickAsync(1010);
      expect(first!.signal.aborted, 'the old leader reports the loss').to.equal(true);
      expect(b.elector.currentTerm()).to.not.equal(undefined);
      // Its Pod is Terminating: it does not campaign again (no tug of war over the lock).
      await clock.tickAsync(60_000);
      expect(a.elector.currentTerm()).to.equal(undefined);
      expect(
        api.calls.filter((call) => call.method === 'createConfigMap' && call.uid === old.uid),
      ).to.have.length(1);
      expect(api.count('deleteConfigMap')).to.equal(1);
    });

    it('with forceTakeoverOnNotReadyNode leaves a leader on a Ready Node alone', async () => {
      const { api } = harness;
      const leader = api.addPod('op-a', { nodeName: 'fine' });
      api.nodes.set('fine', { name: 'fine', ready: 'True' });
      api.putLock('lock', { name: 'op-a', uid: leader.uid });
      api.addPod('op-b');
      const b = start('op-b', { forceTakeoverOnNotReadyNode: true });
      expect(await leading(b, 60_000)).to.equal(undefined);
      expect(api.count('getNode')).to.be.greaterThan(1);
      expect(api.count('deletePod')).to.equal(0);
    });

    it('with forceTakeoverOnNotReadyNode treats a missing Node as not Ready', async () => {
      const { api } = harness;
      api.addLeaderPod('op-a', { nodeName: 'gone' });
      api.addPod('op-b');
      const b = start('op-b', { forceTakeoverOnNotReadyNode: true, notReadyGracePeriod: 10_000 });
      expect(await leading(b, 9999)).to.equal(undefined);
      expect(await leading(b, 1)).to.not.equal(undefined);
    });
  });
});

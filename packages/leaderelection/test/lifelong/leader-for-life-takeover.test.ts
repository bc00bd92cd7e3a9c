import { expect } from 'chai';
import type sinon from 'sinon';
import type { FakeLifelongApi } from './fake-lifelong-api.js';
import { useLifelongHarness } from './lifelong-harness.js';

describe('LeaderForLifeElector takeover from a leader Pod', () => {
  const harness = useLifelongHarness();
  const { start, leading } = harness;
  let clock: sinon.SinonFakeTimers;
  let api: FakeLifelongApi;

  beforeEach(() => {
    clock = harness.clock;
    api = harness.api;
  });

  describe('.run', () => {
    it('does not claim the lock of an old Pod with its name but another UID; leads once GC frees it', async () => {
      api.putLock('lock', { name: 'op-0', uid: 'old-uid' });
      api.addPod('op-0'); // recreated StatefulSet Pod: same name, new UID
      api.gcDelayMs = 5000;
      const a = start('op-0');
      expect(await leading(a, 1000)).to.equal(undefined);
      expect(api.count('deletePod')).to.equal(0);
      expect(api.count('deleteConfigMap')).to.equal(0);
      // The garbage collector now notices the dangling owner.
      api.removePod('nobody');
      expect(await leading(a, 4000)).to.equal(undefined);
      expect(await leading(a, 1001)).to.not.equal(undefined);
    });

    it('deletes an Evicted leader Pod with a UID precondition and takes over when GC frees the lock', async () => {
      const leader = api.addPod('op-a');
      api.putLock('lock', { name: 'op-a', uid: leader.uid });
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
        const leader = api.addPod('op-a', { phase, reason });
        api.putLock('lock', { name: 'op-a', uid: leader.uid });
        api.addPod('op-b');
        const b = start('op-b');
        expect(await leading(b, 10)).to.not.equal(undefined);
        expect(api.count('deletePod')).to.equal(1);
      });
    }

    it('does not delete a terminated leader Pod again while it is being deleted', async () => {
      const leader = api.addPod('op-a', { phase: 'Failed', reason: 'Evicted' });
      leader.terminating = true;
      api.putLock('lock', { name: 'op-a', uid: leader.uid });
      api.addPod('op-b');
      const b = start('op-b');
      expect(await leading(b, 60_000)).to.equal(undefined);
      expect(api.count('getPod')).to.be.greaterThan(3);
      expect(api.count('deletePod')).to.equal(0);
    });

    it('leaves a leader Pod that Failed for another reason alone', async () => {
      const leader = api.addPod('op-a', { phase: 'Failed', reason: 'OOMKilled' });
      api.putLock('lock', { name: 'op-a', uid: leader.uid });
      api.addPod('op-b');
      const b = start('op-b');
      expect(await leading(b, 60_000)).to.equal(undefined);
      expect(api.count('deletePod')).to.equal(0);
    });

    it('does not take over from a leader Pod on a not-Ready Node by default (and never reads the Node)', async () => {
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

    it('with forceTakeoverOnNotReadyNode deletes the leader Pod and the lock (UID preconditions) and takes over', async () => {
      const leader = api.addPod('op-a', { nodeName: 'dead' });
      api.nodes.set('dead', { name: 'dead', ready: 'Unknown' });
      const lock = api.putLock('lock', { name: 'op-a', uid: leader.uid });
      api.addPod('op-b');
      const b = start('op-b', { forceTakeoverOnNotReadyNode: true });
      expect(await leading(b, 10)).to.not.equal(undefined);
      expect(api.calls.filter((call) => call.method.startsWith('delete'))).to.deep.equal([
        { method: 'deletePod', name: 'op-a', uid: leader.uid },
        { method: 'deleteConfigMap', name: 'lock', uid: lock.uid },
      ]);
      expect(api.pods.get('op-a')?.terminating).to.equal(true);
    });

    it('with forceTakeoverOnNotReadyNode takes over from a still-running leader, which then stands aside', async () => {
      const old = api.addPod('op-a', { nodeName: 'partitioned' });
      api.nodes.set('partitioned', { name: 'partitioned', ready: 'False' });
      api.addPod('op-b');
      const a = start('op-a');
      const first = await leading(a);
      const b = start('op-b', { forceTakeoverOnNotReadyNode: true });
      await clock.tickAsync(10);
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
      const leader = api.addPod('op-a', { nodeName: 'gone' });
      api.putLock('lock', { name: 'op-a', uid: leader.uid });
      api.addPod('op-b');
      const b = start('op-b', { forceTakeoverOnNotReadyNode: true });
      expect(await leading(b, 10)).to.not.equal(undefined);
    });
  });
});

import { expect } from 'chai';
import { EPOCH_ANNOTATION } from '@kubekit/leaderelection';
import { useLifelongHarness } from './lifelong-harness.js';

describe('LeaderForLifeElector epochs', () => {
  const harness = useLifelongHarness();
  const { start, leading } = harness;

  async function stop(candidate: ReturnType<typeof start>): Promise<void> {
    candidate.controller.abort();
    await harness.clock.tickAsync(0);
    await candidate.done;
  }

  it('regression: a replica that never saw the previous lock does not write its epoch again', async () => {
    const { api, clock } = harness;
    clock.setSystemTime(Date.UTC(2026, 10, 29, 10, 0, 0));
    api.addPod('op-a');
    api.addPod('op-b');
    const a = start('op-a');
    const first = await leading(a);
    await stop(a);
    // The lock goes while no replica runs (every replica restarted): nobody remembers its epoch.
    api.removeLock('lock');
    await clock.tickAsync(60_000);
    const b = start('op-b');
    const second = await leading(b);
    expect(second).to.not.equal(undefined);
    expect(second!.epoch).to.be.greaterThan(first!.epoch);
    expect(api.locks.get('lock')!.annotations[EPOCH_ANNOTATION]).to.equal(String(second!.epoch));
  });

  it('writes one more than the highest epoch it observed, even when its wall clock says less', async () => {
    const { api } = harness;
    api.addLeaderPod('op-a', {}, { [EPOCH_ANNOTATION]: '9000000000000' });
    api.addPod('op-b');
    const b = start('op-b');
    expect(await leading(b, 10)).to.equal(undefined);
    api.removePod('op-a');
    const term = await leading(b, 10);
    expect(term?.epoch).to.equal(9_000_000_000_001);
    expect(api.locks.get('lock')!.annotations[EPOCH_ANNOTATION]).to.equal('9000000000001');
  });

  it('remembers the epoch of a lock that replaced the one it followed, and of one it saw deleted', async () => {
    const { api, clock } = harness;
    api.addLeaderPod('op-a', {}, { [EPOCH_ANNOTATION]: '3' });
    api.addPod('op-b');
    api.addPod('op-c');
    api.gcDelayMs = 60_000;
    const b = start('op-b');
    expect(await leading(b, 10)).to.equal(undefined);
    // Another program replaces the lock (owned by op-c, epoch 40), then deletes it.
    api.putLock('lock', { name: 'op-c', uid: api.pods.get('op-c')!.uid }, { [EPOCH_ANNOTATION]: '40' });
    await clock.tickAsync(0);
    api.removeLock('lock');
    const term = await leading(b, 10);
    expect(term?.epoch).to.equal(41);
  });

  for (const unreadable of ['not a number', '1e300', '-5', '2.5']) {
    it(`ignores an unreadable epoch annotation (${unreadable})`, async () => {
      const { api } = harness;
      api.addLeaderPod('op-a', {}, { [EPOCH_ANNOTATION]: unreadable });
      api.addPod('op-b');
      const b = start('op-b');
      expect(await leading(b, 10)).to.equal(undefined);
      api.removePod('op-a');
      const term = await leading(b, 10);
      // One more than nothing observed, or the wall clock (virtual, starting at 0): a few ms.
      expect(term?.epoch).to.be.within(1, 100);
    });
  }
});

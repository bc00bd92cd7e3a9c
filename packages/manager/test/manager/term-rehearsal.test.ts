import { expect } from 'chai';
import { systemClock, type Clock } from '@kubekit/leaderelection';
import { Recorder } from '../support/recorder.js';
import { useVirtualWorld } from '../support/use-virtual-world.js';

// The rehearsal of a term's start (before the campaign) is an optimisation: nothing that goes wrong
// in it may change what the manager does in its real terms.

/**
 * The system clock (virtual under fake timers), whose now() throws once, on its first call before
 * `disarm()`.
 */
function flakyClock(): Clock & { disarm(): void } {
  let armed = true;
  return {
    disarm: () => {
      armed = false;
    },
    now: () => {
      if (armed) {
        armed = false;
        throw new Error('clock unavailable');
      }
      return systemClock.now();
    },
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
  };
}

describe('Manager: the rehearsal of a term (virtual time)', () => {
  const world = useVirtualWorld();

  it('a clock that fails once as the manager starts: the leader-gated runnables still start in the first term', async () => {
    const log = new Recorder();
    const clock = flakyClock();
    const a = world.add('a', { manager: { clock } });
    a.manager.add(log.runnable('gated'));
    a.start();
    await world.advance(2_000);
    expect(a.elector.currentTerm()?.epoch, 'a leads').to.be.a('number');
    expect(log.find('start gated').map((step) => step.epoch)).to.deep.equal([a.elector.currentTerm()?.epoch]);
    clock.disarm();
    a.stop.abort();
    await world.advance(5_000);
    expect(a.outcome).to.equal('resolved');
  });
});

import { expect } from 'chai';
import { systemClock, type Clock } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually } from '../support/eventually.js';
import { InformerFixture } from '../support/informer-fixture.js';

/** The system clock, recording every wait asked of it (rounded, in ms) in `sleeps`. */
function recording(sleeps: number[]): Clock {
  return {
    now: () => systemClock.now(),
    sleep: (ms, signal) => {
      sleeps.push(Math.round(ms));
      return systemClock.sleep(ms, signal);
    },
  };
}

describe('Informer backoff across watches that delivered events (envtest)', function () {
  this.timeout(60_000);
  const env = useEnvtest({ users: ['informer'], bookmarkIntervalMs: 100 });

  it('waits only the first delay before resuming each watch cut after it delivered events', async () => {
    const sleeps: number[] = [];
    const clock = recording(sleeps);
    const f = new InformerFixture(env.kubeConfigFor('informer'), env.kubeConfig, env.namespace, {
      clock,
      backoff: { initialMs: 50, maxMs: 5_000, jitter: 0 },
    });
    try {
      await f.create('seed', { v: '1' });
      await eventually(() => f.matchesServer(), 'seeded');
      for (let round = 1; round <= 5; round++) {
        await eventually(
          () => env.faults.cutWatchesMidEvent({ user: 'informer', resource: 'configmaps' }) === 1,
          'watching again',
          { timeoutMs: 20_000 },
        );
        await f.update('seed', { v: String(round + 1) }); // this event is cut in half
        await eventually(() => f.matchesServer(), `round ${String(round)} caught up`, { timeoutMs: 20_000 });
      }
      // Each watch delivered events before its cut (the bookmarks and the seed's changes), so the
      // backoff starts again from its first delay every time; it does not double.
      expect(sleeps).to.deep.equal([50, 50, 50, 50, 50]);
    } finally {
      await f.stop();
    }
  });

  it('backs off ever longer from a watch whose first event cannot be applied (a transform that throws on it)', async () => {
    const sleeps: number[] = [];
    const clock = recording(sleeps);
    let poisoned = false;
    const f = new InformerFixture(env.kubeConfigFor('informer'), env.kubeConfig, env.namespace, {
      clock,
      backoff: { initialMs: 50, maxMs: 5_000, jitter: 0 },
      transform: (object) => {
        if (poisoned && object.metadata?.name === 'poison')
          throw new Error('the transform refuses this object');
        return object;
      },
    });
    try {
      await f.create('seed', { v: '1' });
      await eventually(() => f.matchesServer(), 'seeded');
      sleeps.length = 0;
      poisoned = true;
      await f.create('poison', { v: '1' });
      await eventually(() => sleeps.length >= 5, 'five retries', { timeoutMs: 20_000 });
      // Each watch resumes at the event it cannot apply: that is no progress, so the delays grow.
      expect(sleeps.slice(0, 5)).to.deep.equal([50, 100, 200, 400, 800]);
      expect(f.informer.healthy()).to.equal(false);
    } finally {
      await f.stop();
    }
  });
});

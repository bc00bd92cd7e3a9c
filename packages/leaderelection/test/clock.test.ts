import { expect } from 'chai';
import sinon from 'sinon';
import { systemClock } from '@kubekit/leaderelection';
import type { Clock } from '@kubekit/leaderelection';
import { startTimer } from '#lib/clock.js';
import { rejectionOf } from './support/rejection-of.js';

describe('systemClock', () => {
  describe('.now', () => {
    it('is monotonic', () => {
      const a = systemClock.now();
      const b = systemClock.now();
      expect(b).to.be.at.least(a);
    });
  });

  describe('.sleep', () => {
    it('resolves after the time has passed', async () => {
      const start = systemClock.now();
      await systemClock.sleep(5);
      expect(systemClock.now() - start).to.be.at.least(4);
    });

    it('rejects at once with the reason when the signal aborts', async () => {
      const controller = new AbortController();
      const sleeping = systemClock.sleep(60_000, controller.signal);
      controller.abort(new Error('stopped'));
      const error = await rejectionOf(sleeping);
      expect(error).to.be.instanceOf(Error);
    });

    it('rejects at once when the signal has already aborted', async () => {
      const error = await rejectionOf(systemClock.sleep(10, AbortSignal.abort(new Error('gone'))));
      expect((error as Error).message).to.equal('gone');
    });

    it('runs on sinon fake timers', async () => {
      const fake = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      try {
        const start = systemClock.now();
        let done = false;
        const sleeping = systemClock.sleep(15_000).then(() => (done = true));
        await fake.tickAsync(14_999);
        expect(done).to.equal(false);
        await fake.tickAsync(1);
        await sleeping;
        expect(systemClock.now() - start).to.equal(15_000);
      } finally {
        fake.restore();
      }
    });
  });
});

describe('startTimer', () => {
  let fake: sinon.SinonFakeTimers;
  beforeEach(() => {
    fake = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    fake.restore();
  });

  /** A clock with only `now` and `sleep`, as user-written clocks written before `setTimer` are. */
  const sleepOnlyClock: Clock = {
    now: () => systemClock.now(),
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
  };

  for (const [name, clock] of [
    ['systemClock (setTimer)', systemClock],
    ['a clock without setTimer (sleep)', sleepOnlyClock],
  ] as const) {
    it(`calls back once after the time has passed, on ${name}`, async () => {
      let calls = 0;
      startTimer(clock, 1_000, () => calls++);
      await fake.tickAsync(999);
      expect(calls).to.equal(0);
      await fake.tickAsync(1);
      await fake.tickAsync(5_000);
      expect(calls).to.equal(1);
      expect(fake.countTimers()).to.equal(0);
    });

    it(`never calls back once cancelled, and leaves no timer, on ${name}`, async () => {
      let calls = 0;
      const timer = startTimer(clock, 1_000, () => calls++);
      timer.cancel();
      timer.cancel();
      await fake.tickAsync(5_000);
      expect(calls).to.equal(0);
      expect(fake.countTimers()).to.equal(0);
    });
  }
});

import { expect } from 'chai';
import sinon from 'sinon';
import { systemClock } from '@kubekit/leaderelection';

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
      const error = await sleeping.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).to.be.instanceOf(Error);
    });

    it('rejects at once when the signal has already aborted', async () => {
      const error = await systemClock.sleep(10, AbortSignal.abort(new Error('gone'))).then(
        () => undefined,
        (reason: unknown) => reason,
      );
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

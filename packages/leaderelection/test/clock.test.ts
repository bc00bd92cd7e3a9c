import { expect } from 'chai';
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
  });
});

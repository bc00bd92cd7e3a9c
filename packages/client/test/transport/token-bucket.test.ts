import { expect } from 'chai';
import { TokenBucket } from '#lib/transport/token-bucket.js';
import { VirtualClock } from '../support/virtual-clock.js';

describe('TokenBucket', () => {
  describe('.take', () => {
    it('lets a burst through at once, then one request per 1/qps seconds, in order', async () => {
      const clock = new VirtualClock();
      const bucket = new TokenBucket({ qps: 10, burst: 3 }, clock);
      const done: number[] = [];
      const takes = [0, 1, 2, 3, 4].map((i) => bucket.take().then(() => done.push(i)));
      await Promise.resolve();
      await Promise.resolve();
      expect(done).to.deep.equal([0, 1, 2]);
      expect(clock.sleeps).to.deep.equal([100, 200]);
      clock.advance(99);
      await Promise.resolve();
      expect(done).to.deep.equal([0, 1, 2]);
      clock.advance(1);
      await Promise.resolve();
      await Promise.resolve();
      expect(done).to.deep.equal([0, 1, 2, 3]);
      clock.advance(100);
      await Promise.all(takes);
      expect(done).to.deep.equal([0, 1, 2, 3, 4]);
    });

    it('refills up to the burst after a quiet period, not beyond', async () => {
      const clock = new VirtualClock();
      const bucket = new TokenBucket({ qps: 20, burst: 30 }, clock);
      for (let i = 0; i < 30; i++) await bucket.take();
      expect(clock.sleeps).to.deep.equal([]);
      clock.advance(60_000);
      for (let i = 0; i < 30; i++) await bucket.take();
      expect(clock.sleeps).to.deep.equal([]);
      const next = bucket.take();
      expect(clock.sleeps).to.deep.equal([50]);
      clock.advance(50);
      await next;
    });

    it('gives the token back when the wait is aborted', async () => {
      const clock = new VirtualClock();
      const bucket = new TokenBucket({ qps: 1, burst: 1 }, clock);
      await bucket.take();
      const stop = new AbortController();
      const waiting = bucket.take(stop.signal);
      stop.abort();
      let failed = false;
      await waiting.catch(() => (failed = true));
      expect(failed).to.be.true;
      clock.advance(1000);
      await bucket.take();
      expect(clock.sleeps).to.deep.equal([1000]);
    });
  });
});

import { expect } from 'chai';
import {
  BucketRateLimiter,
  ExponentialRateLimiter,
  MaxOfRateLimiter,
  ReconcileError,
  defaultControllerRateLimiter,
} from '@kubekit/reconcile';
import { FakeClock } from '../support/fake-clock.js';

describe('ExponentialRateLimiter', () => {
  it('doubles from 5 ms per failure of each key, up to 1000 s, until forgotten', () => {
    const limiter = new ExponentialRateLimiter();
    expect([1, 2, 3, 4].map(() => limiter.when('a'))).to.deep.equal([5, 10, 20, 40]);
    expect(limiter.when('b')).to.equal(5);
    for (let i = 0; i < 40; i++) limiter.when('a');
    expect(limiter.when('a')).to.equal(1_000_000);
    expect(limiter.numRequeues('a')).to.equal(45);
    limiter.forget('a');
    expect(limiter.when('a')).to.equal(5);
  });

  it('rejects a base delay that is not positive', () => {
    expect(() => new ExponentialRateLimiter({ baseDelayMs: 0 })).to.throw(ReconcileError);
  });
});

describe('BucketRateLimiter', () => {
  it('lets a burst of 100 through, then spaces retries 100 ms apart at 10 qps', async () => {
    const clock = new FakeClock();
    const limiter = new BucketRateLimiter({ clock });
    for (let i = 0; i < 100; i++) expect(limiter.when(`k${String(i)}`)).to.equal(0);
    expect(limiter.when('x')).to.be.closeTo(100, 1e-9);
    expect(limiter.when('y')).to.be.closeTo(200, 1e-9);
    // 100 ms refill one token: the next retry still waits behind the two reserved ones.
    await clock.advance(100);
    expect(limiter.when('z')).to.be.closeTo(200, 1e-9);
    await clock.advance(10_000);
    expect(limiter.when('w')).to.equal(0);
    expect(limiter.numRequeues('x')).to.equal(0);
  });

  it('rejects a burst below 1', () => {
    expect(() => new BucketRateLimiter({ burst: 0 })).to.throw(/burst/);
  });
});

describe('MaxOfRateLimiter', () => {
  it('takes the longest delay of its limiters and forgets in all', () => {
    const limiter = new MaxOfRateLimiter(
      new ExponentialRateLimiter({ baseDelayMs: 5 }),
      new ExponentialRateLimiter({ baseDelayMs: 7 }),
    );
    expect(limiter.when('a')).to.equal(7);
    expect(limiter.when('a')).to.equal(14);
    expect(limiter.numRequeues('a')).to.equal(2);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).to.equal(0);
  });

  it('is the default controller limiter: 5 ms per item, and the bucket once the burst is used', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter(clock);
    expect(limiter.when('a')).to.equal(5);
    for (let i = 0; i < 99; i++) limiter.when(`k${String(i)}`);
    expect(limiter.when('b')).to.be.closeTo(100, 1e-9);
  });
});

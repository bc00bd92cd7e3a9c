import { expect } from 'chai';
import { LeaderElectionError, type Clock } from '@kubekit/leaderelection';
import { lockWith } from '../support/lock-with.js';
import { SimWorld, fast } from '../support/sim-world.js';
import { overlapped, termLog } from '../support/term-log.js';

// How a replica recognises the records it wrote (its own terms) when another process shares its
// identity: a write that did not land must not make that process's record pass for its own.

describe('LeaseElector', () => {
  describe('.run, with another process under the same identity', () => {
    it('does not take that process’s record for its own after its own write of the same epoch failed without landing (a 503; same second)', async () => {
      // Both processes' wall clocks agree to the second. b's acquiring write is refused by the API
      // server (503, nothing written) while c's lands with the same epoch, in the same second. b kept
      // the mark of its write (a failed write may have landed); c's record matched it to the second,
      // so b overwrote it while c's term was valid.
      const world = new SimWorld();
      // Wall clocks that agree to the second and differ below it (two machines).
      const sameSecond =
        (fractionMs: number) =>
        (clock: Clock): Clock => ({
          now: () => clock.now(),
          sleep: (ms, signal) => clock.sleep(ms, signal),
          date: () =>
            new Date(1_700_000_000_000 + Math.floor(world.scheduler.now / 1000) * 1000 + fractionMs),
        });
      const a = world.add('a', { ...fast, releaseOnCancel: true });
      a.start();
      await world.advance(50);
      const refuse = { next: false };
      const b = world.add('dup', {
        ...fast,
        wrapClock: sameSecond(512),
        wrapLock: (lock) =>
          lockWith(lock, {
            update: (record, resourceVersion, signal) => {
              if (!refuse.next) return lock.update(record, resourceVersion, signal);
              refuse.next = false;
              return Promise.reject(
                new LeaderElectionError('apiError', 'simulated 503 (nothing written)', { statusCode: 503 }),
              );
            },
          }),
      });
      const c = world.add('dup', { ...fast, wrapClock: sameSecond(137) });
      const blog = termLog(world, b);
      const clog = termLog(world, c);
      b.start();
      c.start();
      await world.advance(1_000);
      refuse.next = true;
      a.stop.abort();
      await world.advance(50);
      expect(refuse.next, 'b tried to acquire').to.be.false;
      expect(clog, 'c acquired').to.have.length(1);
      await world.advance(3 * fast.leaseDuration);
      expect(overlapped(blog, clog)).to.be.false;
      await world.stopAll();
    });
  });
});

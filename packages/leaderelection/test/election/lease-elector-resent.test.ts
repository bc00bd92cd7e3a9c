import { expect } from 'chai';
import type { Lock, LockSnapshot } from '@kubekit/leaderelection';
import { interceptAcquiringWrites, resentConflict } from '../support/resent-conflict.js';
import { SimWorld, fast, type SimCandidateOptions } from '../support/sim-world.js';
import { overlapped, termLog } from '../support/term-log.js';

// An acquiring write whose connection broke is sent again by the transport (it is a
// compare-and-swap); when the first attempt had landed, the repeat is answered 409 because the
// record now holds that very write. The replica must recognise its own record, not wait a whole
// leaseDuration for "another process with its identity".

/**
 * While `armed.on`, the next acquiring write (create or update) goes to the store through `write`
 * (which may apply it, or not), and its caller gets a 409 marked as the answer to a re-send.
 */
function resendingLock(
  armed: { on: boolean },
  write: (lock: Lock, send: () => Promise<LockSnapshot>) => Promise<unknown>,
): (lock: Lock) => Lock {
  const intercept = async (lock: Lock, send: () => Promise<LockSnapshot>): Promise<LockSnapshot> => {
    if (!armed.on) return send();
    armed.on = false;
    await write(lock, send).catch(() => undefined);
    throw resentConflict(lock.description);
  };
  return (lock) => interceptAcquiringWrites(lock, intercept);
}

/** `a` leads and releases on stop; `b` follows with `options` and the lock `wrap` gives it. */
async function releaseTo(wrap: (lock: Lock) => Lock, options: SimCandidateOptions = {}) {
  const world = new SimWorld();
  const a = world.add('a', { ...fast, releaseOnCancel: true });
  a.start();
  await world.advance(50);
  const b = world.add('b', { ...fast, ...options, wrapLock: wrap });
  const blog = termLog(world, b);
  b.start();
  await world.advance(3_000);
  expect(b.elector.currentLeader()).to.equal('a');
  return { world, a, blog };
}

describe('LeaseElector', () => {
  describe('.run, when its acquiring write landed but the repeat the transport sent is answered 409', () => {
    for (const watch of [true, false]) {
      it(`recognises the record as its own and leads within milliseconds (${watch ? 'watching' : 'polling'})`, async () => {
        const armed = { on: false };
        const { world, a, blog } = await releaseTo(
          resendingLock(armed, (_lock, send) => send()), // the first attempt lands
          { watch },
        );
        armed.on = true;
        const releasedAt = world.scheduler.now;
        a.stop.abort();
        // Polling, the release is seen at the next poll (under 2.2 × retryPeriod).
        await world.advance(watch ? 200 : 2.2 * fast.retryPeriod + 200);
        expect(armed.on, 'b acquired, and the write was answered 409').to.be.false;
        expect(blog, 'b leads').to.have.length(1);
        expect(blog[0]!.start - releasedAt).to.be.lessThan(watch ? 100 : 2.2 * fast.retryPeriod + 100);
        expect(world.store.snapshot()?.record?.holderIdentity).to.equal('b');
        // And keeps leading: its renews find its own record.
        await world.advance(3 * fast.leaseDuration);
        expect(blog[0]!.end).to.be.undefined;
        await world.stopAll();
      });
    }

    it('does not lead when the record is another replica’s (its first attempt did not land)', async () => {
      // b and c race for the released lock; c wins. b's write is held back until c's has landed,
      // then sent (a 409), and b is told it was a 409 to a re-send: it cannot know its first attempt
      // did not land, yet the record names c and must not pass for its own.
      const world = new SimWorld();
      const a = world.add('a', { ...fast, releaseOnCancel: true });
      a.start();
      await world.advance(50);
      const armed = { on: false };
      const b = world.add('b', {
        ...fast,
        wrapLock: resendingLock(armed, async (_lock, send) => {
          await world.candidates[2]!.process.sleep(20);
          return send();
        }),
      });
      const c = world.add('c', { ...fast });
      const blog = termLog(world, b);
      const clog = termLog(world, c);
      b.start();
      c.start();
      await world.advance(3_000);
      armed.on = true;
      a.stop.abort();
      await world.advance(200);
      expect(armed.on, 'b tried to acquire').to.be.false;
      expect(clog, 'c leads').to.have.length(1);
      expect(b.elector.currentLeader()).to.equal('c');
      await world.advance(3 * fast.leaseDuration);
      expect(blog, 'b never leads while c renews').to.have.length(0);
      expect(overlapped(blog, clog)).to.be.false;
      await world.stopAll();
    });
  });
});

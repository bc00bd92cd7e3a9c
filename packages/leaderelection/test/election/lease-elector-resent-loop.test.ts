import { expect } from 'chai';
import type { Lock, LockSnapshot } from '@kubekit/leaderelection';
import { leaderRecord } from '../support/leader-record.js';
import { interceptAcquiringWrites, resentConflict } from '../support/resent-conflict.js';
import { SimWorld, fast } from '../support/sim-world.js';
import { termLog } from '../support/term-log.js';

// A connection that breaks after the server has each write (a faulty proxy or load balancer, for a
// while): every acquiring write lands, and the transport's repeat is answered 409 (marked resent).
// The replica keeps the mark, sees its own record, and acquires over it again: without pacing, that
// is a new write every round trip for as long as the fault lasts.

/** While `faulty.on`, every create and update lands, and its caller gets a 409 marked resent. */
function landThenResentConflict(faulty: { on: boolean }, writes: { count: number }): (lock: Lock) => Lock {
  const intercept = async (lock: Lock, send: () => Promise<LockSnapshot>): Promise<LockSnapshot> => {
    writes.count++;
    if (!faulty.on) return send();
    await send().catch(() => undefined);
    throw resentConflict(lock.description);
  };
  return (lock) => interceptAcquiringWrites(lock, intercept);
}

describe('LeaseElector', () => {
  describe('.run, while every acquiring write lands and its repeat is answered 409', () => {
    for (const watch of [true, false]) {
      it(`writes at most about once per retryPeriod (${watch ? 'watching' : 'polling'})`, async () => {
        const world = new SimWorld();
        world.store.put(leaderRecord('', 1, 3)); // released
        const faulty = { on: true };
        const writes = { count: 0 };
        const b = world.add('b', { ...fast, watch, wrapLock: landThenResentConflict(faulty, writes) });
        const log = termLog(world, b);
        b.start();
        const window = 4 * fast.retryPeriod;
        await world.advance(window);
        // Paced: a few writes in quick succession, then at most about one per retryPeriod.
        expect(writes.count, 'writes during the fault').to.be.at.most(window / fast.retryPeriod + 6);
        faulty.on = false;
        await world.advance(3 * fast.retryPeriod);
        expect(log, 'b leads once the fault is over').to.have.length(1);
        await world.stopAll();
      });
    }
  });
});

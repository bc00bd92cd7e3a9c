import { expect } from 'chai';
import type { Clock, Lock } from '@kubekit/leaderelection';
import { inWholeSeconds, rewritingLock } from '../sim/rewriting-lock.js';
import { interceptAcquiringWrites, resentConflict } from '../support/resent-conflict.js';
import type { SimLock } from '../sim/sim-lock-store.js';
import { SimWorld, fast } from '../support/sim-world.js';
import { overlapped, termLog } from '../support/term-log.js';

// Duplicate identities and a 409 to a repeat: with a lock that stores acquireTime in whole seconds
// (client-go's annotation format), two processes under one identity race for a released lock; the
// one whose write met a broken connection gets a 409 to the repeat (its first attempt did not land:
// the other won). Its mark of that write then matches only a time stored to the millisecond, so it
// does not take the winner's record (same epoch, same second) for its own, and never leads over it.

/** `lock` in whole seconds whose next acquiring write, while `armed.on`, waits `delayMs`, is sent, and is answered 409 marked resent. */
function legacyResending(world: SimWorld, armed: { on: boolean }, delayMs: number): (lock: SimLock) => Lock {
  return (simLock) => {
    const lock = rewritingLock(simLock, (record) => inWholeSeconds(record, ['acquireTime']));
    return interceptAcquiringWrites(lock, async (_lock, send) => {
      if (!armed.on) return send();
      armed.on = false;
      await world.candidates[1]!.process.sleep(delayMs);
      await send().catch(() => undefined);
      throw resentConflict(lock.description);
    });
  };
}

/** `clock` whose wall clock reads `shiftMs` earlier. */
function shiftedWall(shiftMs: number): (clock: Clock) => Clock {
  return (clock) =>
    Object.assign(Object.create(clock) as Clock, {
      date: () => new Date((clock.date?.() ?? new Date()).getTime() - shiftMs),
    });
}

describe('LeaseElector (duplicate identity, whole-second lock)', () => {
  it('no two processes lead at once: the mark of the repeated write does not match a record stored in whole seconds', async () => {
    const world = new SimWorld();
    const x = world.add('x', { ...fast, releaseOnCancel: true });
    x.start();
    await world.advance(50);
    const armed = { on: false };
    // Two processes with identity "a"; wall clocks aligned (SimWorld gives each a 1 s offset).
    const a1 = world.add('a', { ...fast, wrapLock: legacyResending(world, armed, 20) });
    const a2 = world.add('a', {
      ...fast,
      wrapLock: (lock) => rewritingLock(lock, (record) => inWholeSeconds(record, ['acquireTime'])),
      wrapClock: shiftedWall(1000),
    });
    const log1 = termLog(world, a1);
    const log2 = termLog(world, a2);
    a1.start();
    a2.start();
    await world.advance(3_000);
    armed.on = true;
    x.stop.abort();
    await world.advance(3 * fast.retryPeriod);
    expect(armed.on, 'a1 tried to acquire').to.be.false;
    expect(log2, 'a2 won the race').to.have.length.greaterThan(0);
    expect(overlapped(log1, log2)).to.be.false;
    await world.stopAll();
  });
});

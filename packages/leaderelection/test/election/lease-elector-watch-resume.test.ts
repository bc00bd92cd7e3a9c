import { expect } from 'chai';
import { LeaderElectionError } from '@kubekit/leaderelection';
import type { Lock, LockWatchHandlers } from '@kubekit/leaderelection';
import { leaderRecord } from '../support/leader-record.js';
import { lockWith } from '../support/lock-with.js';
import { SimWorld, fast } from '../support/sim-world.js';
import { termLog } from '../support/term-log.js';

// A follower whose watch failed before it delivered anything re-opens it from the version its read
// showed, not from the current state: a watch from the current state shows nothing of an object
// deleted meanwhile, and the follower would learn of the deletion only from a 409 after the dead
// holder's expiry, and then wait a second leaseDuration.

/** What the follower's watch does at its `n`th opening (from 1), given where it starts from. */
type WatchScript = (n: number, from: string | undefined) => 'refuse' | 'expire' | 'open';

function scriptedWatch(
  world: SimWorld,
  script: WatchScript,
  opened: (string | undefined)[],
): (lock: Lock) => Lock {
  return (lock) =>
    lockWith(lock, {
      watch: (from: string | undefined, handlers: LockWatchHandlers, signal: AbortSignal) => {
        opened.push(from);
        switch (script(opened.length, from)) {
          case 'refuse':
            return Promise.reject(
              new LeaderElectionError('apiError', 'simulated 503 before the watch was established', {
                statusCode: 503,
              }),
            );
          case 'expire':
            return Promise.reject(
              new LeaderElectionError('watchExpired', 'simulated 410', { statusCode: 410 }),
            );
          case 'open':
            return lock.watch(from, handlers, signal);
        }
      },
    });
}

/**
 * The lock names a dead holder (nobody renews it); `b` starts, its first watch is refused, it reads
 * the record; when its watch re-opens the lock has just been deleted (by an outsider).
 */
async function deletedWhileWatchDown(second: 'open' | 'expire', watchOptions: { deleteAt?: number } = {}) {
  const world = new SimWorld();
  world.store.put(leaderRecord('ghost', 15, 3));
  const opened: (string | undefined)[] = [];
  let deletedAt = Infinity;
  const b = world.add('b', {
    ...fast,
    wrapLock: scriptedWatch(
      world,
      (n) => {
        if (n === 1) return 'refuse';
        if (n === (watchOptions.deleteAt ?? 2)) {
          world.store.delete();
          deletedAt = world.scheduler.now;
          return second;
        }
        return 'open';
      },
      opened,
    ),
  });
  const log = termLog(world, b);
  const startedAt = world.scheduler.now;
  b.start();
  await world.advance(3 * fast.retryPeriod);
  expect(opened.length, 'the watch re-opened').to.be.greaterThanOrEqual(2);
  return { world, b, log, opened, startedAt, deletedAt: () => deletedAt };
}

describe('LeaseElector', () => {
  describe('.run, when its watch failed before delivering anything', () => {
    it('re-opens it from the version its read showed, and sees a deletion meanwhile at once', async () => {
      const { world, log, opened, deletedAt } = await deletedWhileWatchDown('open');
      // The deleted holder's claim runs leaseDuration from the deletion (seen at once), not from a
      // 409 after the dead holder's expiry (another leaseDuration later).
      await world.advance(fast.leaseDuration + 2.2 * fast.retryPeriod);
      expect(log, 'b leads').to.have.length(1);
      expect(log[0]!.start - deletedAt()).to.be.at.least(fast.leaseDuration);
      expect(log[0]!.start - deletedAt()).to.be.lessThan(fast.leaseDuration + 500);
      expect(opened[0]).to.be.undefined; // nothing known yet: from the current state
      expect(opened[1], 'from the version read').to.equal('1');
      await world.stopAll();
    });

    it('reads the lock after a 410 and watches from what the read shows (a deletion seen at once)', async () => {
      const { world, log, opened, deletedAt } = await deletedWhileWatchDown('expire');
      await world.advance(fast.leaseDuration + 2.2 * fast.retryPeriod);
      expect(log, 'b leads').to.have.length(1);
      expect(log[0]!.start - deletedAt()).to.be.at.least(fast.leaseDuration);
      expect(log[0]!.start - deletedAt()).to.be.lessThan(fast.leaseDuration + 500);
      expect(opened[1]).to.equal('1');
      // The read after the 410 shows the lock absent: a watch from the current state follows.
      expect(opened[2]).to.be.undefined;
      await world.stopAll();
    });

    it('watches from the current state when the read after a 410 fails', async () => {
      const world = new SimWorld();
      world.store.put(leaderRecord('ghost', 60, 3));
      const opened: (string | undefined)[] = [];
      const failReads = { on: false };
      const b = world.add('b', {
        ...fast,
        wrapLock: (lock) => {
          const scripted = scriptedWatch(
            world,
            (n) => {
              if (n === 1) return 'refuse';
              if (n === 2) {
                // The lock changes (a read would show version 2), and the read after this 410 fails.
                world.store.put(leaderRecord('ghost', 60, 4));
                failReads.on = true;
                return 'expire';
              }
              return 'open';
            },
            opened,
          )(lock);
          return lockWith(scripted, {
            get: (signal: AbortSignal) => {
              if (!failReads.on) return lock.get(signal);
              failReads.on = false;
              return Promise.reject(
                new LeaderElectionError('apiError', 'simulated 503 on a read', { statusCode: 503 }),
              );
            },
          });
        },
      });
      b.start();
      await world.advance(3 * fast.retryPeriod);
      expect(failReads.on, 'the read after the 410 was sent').to.be.false;
      expect(opened.slice(0, 3)).to.deep.equal([undefined, '1', undefined]);
      expect(b.elector.currentLeader()).to.equal('ghost');
      await world.stopAll();
    });

    it('watches from the current state when the read after a 410 shows the same version (no loop of 410s)', async () => {
      const world = new SimWorld();
      world.store.put(leaderRecord('ghost', 60, 3));
      const opened: (string | undefined)[] = [];
      // Every watch from a version is too old (a compacted history), the lock unchanged since.
      const b = world.add('b', {
        ...fast,
        wrapLock: scriptedWatch(
          world,
          (n, from) => (n === 1 ? 'refuse' : from === undefined ? 'open' : 'expire'),
          opened,
        ),
      });
      const getsBefore = world.store.counters.get;
      b.start();
      await world.advance(3 * fast.retryPeriod);
      expect(opened.slice(0, 3)).to.deep.equal([undefined, '1', undefined]);
      expect(b.net.partition).to.equal('none');
      const gets = world.store.counters.get - getsBefore;
      await world.advance(5 * fast.retryPeriod);
      expect(opened, 'the watch from the current state stays up').to.have.length(3);
      expect(world.store.counters.get - getsBefore, 'no more reads once it is up').to.equal(gets);
      expect(b.elector.currentLeader()).to.equal('ghost');
      await world.stopAll();
    });
  });
});

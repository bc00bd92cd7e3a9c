import { expect } from 'chai';
import type { LeaderElectionRecord, Lock, LockWatchHandlers } from '@kubekit/leaderelection';
import { leaderRecord } from '../support/leader-record.js';
import { lockWith } from '../support/lock-with.js';
import { SimWorld, fast } from '../support/sim-world.js';
import { termLog } from '../support/term-log.js';

// A read sent while the watch from the current state is being opened may be answered before or
// after the state that watch starts with (resourceVersions are opaque: they cannot be compared).
// Its answer must not be taken as newer than the watch's events: when the lock changed between the
// read and the watch's start, the watch never delivers the read's version, and every event it
// brings would be dropped as "older" for a leaseDuration.

const released: LeaderElectionRecord = { ...leaderRecord('', 1, 3) };

/** `lock` whose watch reaches the server `delayMs` (on `world`'s candidate clock) after it is opened. */
function slowWatch(world: SimWorld, delayMs: number, opened: { count: number }): (lock: Lock) => Lock {
  return (lock) =>
    lockWith(lock, {
      watch: async (from: string | undefined, handlers: LockWatchHandlers, signal: AbortSignal) => {
        opened.count++;
        if (opened.count === 1)
          await world.candidates[0]!.process.sleep(delayMs, signal).catch(() => undefined);
        if (signal.aborted) return;
        await lock.watch(from, handlers, signal);
      },
    });
}

describe('LeaseElector', () => {
  describe('.run, when its first read is answered before its watch from the current state starts', () => {
    it('takes the watch’s first state as newer than the read (a release meanwhile is acted on at once)', async () => {
      const world = new SimWorld();
      world.store.put(leaderRecord('ghost', 15, 3));
      const opened = { count: 0 };
      const b = world.add('b', { ...fast, wrapLock: slowWatch(world, 50, opened) });
      const log = termLog(world, b);
      b.start();
      // b's read shows ghost's record at once; ghost releases; then b's watch starts (its first
      // event: the release).
      await world.advance(20);
      expect(b.elector.currentLeader()).to.equal('ghost');
      world.store.put(released);
      const releasedAt = world.scheduler.now;
      await world.advance(200);
      expect(opened.count).to.equal(1);
      expect(log, 'b acts on the release the watch shows').to.have.length(1);
      expect(log[0]!.start - releasedAt).to.be.lessThan(100);
      await world.stopAll();
    });

    it('with watchWhileLeading, does not end the term it acquired meanwhile for the older state that watch starts with', async () => {
      // The read (sent while the watch was opening) shows the lock released, b acquires at once;
      // the watch's first state is the release, which arrives after b's write: older than b's own
      // version, it must not count as "released by someone else".
      const world = new SimWorld();
      world.store.put(released);
      // The watch reaches the server at once, but its answer and events come 20 ms late (in order).
      const lagging = (lock: Lock): Lock =>
        lockWith(lock, {
          watch: (from: string | undefined, handlers: LockWatchHandlers, signal: AbortSignal) => {
            let queue = Promise.resolve();
            const later = (deliver: () => void): void => {
              queue = queue
                .then(() => world.candidates[0]!.process.sleep(20))
                .then(() => {
                  if (!signal.aborted) deliver();
                });
            };
            return lock.watch(
              from,
              {
                onEstablished: () => {
                  later(() => {
                    handlers.onEstablished();
                  });
                },
                onEvent: (event) => {
                  later(() => {
                    handlers.onEvent(event);
                  });
                },
              },
              signal,
            );
          },
        });
      const b = world.add('b', { ...fast, watchWhileLeading: true, wrapLock: lagging });
      const log = termLog(world, b);
      b.start();
      await world.advance(3 * fast.retryPeriod);
      expect(log).to.have.length(1);
      expect(log[0]!.end, 'the term goes on').to.be.undefined;
      await world.stopAll();
    });
  });
});

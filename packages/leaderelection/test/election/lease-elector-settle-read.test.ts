import { expect } from 'chai';
import type { LeaderElectionRecord, Lock, LockSnapshot, LockWatchHandlers } from '@kubekit/leaderelection';
import { leaderRecord } from '../support/leader-record.js';
import { lockWith } from '../support/lock-with.js';
import { SimWorld, fast } from '../support/sim-world.js';
import { termLog } from '../support/term-log.js';

// The read that settles a disagreement between a read answered while the first watch (from the
// current state) was opening and that watch's first state: while it is in flight the watch may
// deliver more than one version (each dropped while the unanchored answer is held). The settle
// read's answer may then be a version the watch has delivered already, but not the last one: held
// "ahead of the watch", it is never delivered again, and every later event (a release) is dropped
// for a leaseDuration.

const released = (epoch: number): LeaderElectionRecord => leaderRecord('', 1, epoch);

/**
 * `lock` whose first watch reaches the server `watchDelayMs` after it is opened, and whose
 * `slowRead`-th read is answered by the server at once but reaches the elector `readDelayMs` later.
 */
function slowWatchAndRead(
  world: SimWorld,
  watchDelayMs: number,
  slowRead: number,
  readDelayMs: number,
): (lock: Lock) => Lock {
  let watches = 0;
  let reads = 0;
  return (lock) =>
    lockWith(lock, {
      watch: async (from: string | undefined, handlers: LockWatchHandlers, signal: AbortSignal) => {
        watches++;
        if (watches === 1)
          await world.candidates[0]!.process.sleep(watchDelayMs, signal).catch(() => undefined);
        if (signal.aborted) return;
        await lock.watch(from, handlers, signal);
      },
      get: async (signal: AbortSignal): Promise<LockSnapshot | undefined> => {
        reads++;
        const snapshot = await lock.get(signal);
        if (reads === slowRead) await world.candidates[0]!.process.sleep(readDelayMs, signal);
        return snapshot;
      },
    });
}

describe('LeaseElector', () => {
  describe('.run, when the lock changes twice while the read settling an unanchored answer is in flight', () => {
    it('acts on a later release within milliseconds, not after a leaseDuration', async () => {
      const world = new SimWorld();
      world.store.put(leaderRecord('ghost', 15, 3)); // v1
      // b's first read shows ghost (v1); its first watch reaches the server at 50 ms.
      const b = world.add('b', { ...fast, wrapLock: slowWatchAndRead(world, 50, 2, 30) });
      const log = termLog(world, b);
      b.start();
      await world.advance(20);
      expect(b.elector.currentLeader()).to.equal('ghost');
      world.store.put(released(3)); // v2: the watch's first state (dropped; b reads to settle)
      await world.advance(40); // t = 60: the settle read was answered v2 and is on its way back
      world.store.put(leaderRecord('ghost2', 15, 4)); // v3: delivered by the watch before that answer
      await world.advance(3_000);
      expect(b.elector.currentLeader(), 'b learns ghost2 holds the lock').to.equal('ghost2');
      expect(log).to.have.length(0);
      world.store.put(released(4)); // ghost2 releases
      const releasedAt = world.scheduler.now;
      await world.advance(fast.leaseDuration + 3_000);
      expect(log, 'b leads after the release').to.have.length(1);
      expect(log[0]!.start - releasedAt, 'b acts on the release at once').to.be.lessThan(200);
      await world.stopAll();
    });
  });
});

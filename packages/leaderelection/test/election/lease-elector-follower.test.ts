import { expect } from 'chai';
import { LeaderElectionError } from '@kubekit/leaderelection';
import type { Lock, LockWatchHandlers } from '@kubekit/leaderelection';
import { lockWith } from '../support/lock-with.js';
import { startLeaderAndFollower } from '../support/leader-and-follower.js';
import { leaderRecord } from '../support/leader-record.js';
import { memoryLogger } from '../support/memory-logger.js';
import { SimWorld, fast } from '../support/sim-world.js';
import { termLog } from '../support/term-log.js';

// What a following LeaseElector does: watch, wait for expiry or a release, poll only without a watch.

/** `lock` with a watch the server always refuses (503): the follower must fall back to polling. */
function failingWatch(lock: Lock): Lock {
  return lockWith(lock, {
    watch: () => Promise.reject(new LeaderElectionError('apiError', 'watch refused', { statusCode: 503 })),
  });
}

describe('LeaseElector', () => {
  describe('.run', () => {
    it('keeps a follower at zero requests at steady state while its watch is up', async () => {
      const world = new SimWorld();
      const { b } = await startLeaderAndFollower(world, { headStartMs: 100, settleMs: 1_000 });
      const gets = world.store.counters.get;
      const watches = world.store.counters.watch;
      await world.advance(120_000);
      expect(world.store.counters.get).to.equal(gets);
      expect(world.store.counters.watch).to.equal(watches);
      expect(b.elector.currentTerm()).to.be.undefined;
      expect(b.elector.currentLeader()).to.equal('a');
      await world.stopAll();
    });

    it('takes over a dead holder exactly leaseDuration after it saw the record change, whatever the record says of time', async () => {
      const world = new SimWorld();
      world.store.put({ ...leaderRecord('ghost', 15), renewTime: new Date(0), acquireTime: new Date(0) });
      const b = world.add('b', fast);
      const log = termLog(world, b);
      b.start();
      await world.advance(14_990);
      expect(log).to.have.length(0);
      await world.advance(100);
      expect(log).to.have.length(1);
      // observed at 2 ms (get answered), acquire sent at 15 002, answered at 15 004.
      expect(log[0]!.start).to.be.closeTo(15_004, 0.01);
      expect(log[0]!.term.epoch).to.equal(4);
      await world.stopAll();
    });

    it('does not restart the expiry wait for a stale answer followed by the current version again', async () => {
      const world = new SimWorld();
      world.store.put(leaderRecord('ghost', 15));
      let handlers: LockWatchHandlers | undefined;
      const tapWatch = (lock: Lock): Lock =>
        lockWith(lock, {
          watch: (rv: string | undefined, h: LockWatchHandlers, signal: AbortSignal) => {
            handlers = h;
            return lock.watch(rv, h, signal);
          },
        });
      const b = world.add('b', { ...fast, wrapLock: tapWatch });
      const log = termLog(world, b);
      b.start();
      await world.advance(5_000);
      const current = world.store.snapshot()!;
      // A late answer from before (another version), then the current version once more.
      handlers!.onEvent({
        type: 'changed',
        snapshot: { resourceVersion: 'older', record: leaderRecord('ghost', 15) },
      });
      handlers!.onEvent({ type: 'changed', snapshot: current });
      await world.advance(10_100);
      expect(log).to.have.length(1);
      expect(log[0]!.start).to.be.lessThan(15_100);
      await world.stopAll();
    });

    it('uses the duration from the record, not its own', async () => {
      const world = new SimWorld();
      world.store.put(leaderRecord('ghost', 40));
      const b = world.add('b', fast);
      b.start();
      await world.advance(39_000);
      expect(b.elector.currentTerm()).to.be.undefined;
      await world.advance(2_000);
      expect(b.elector.currentTerm()).to.not.be.undefined;
      await world.stopAll();
    });

    it('restarts the expiry wait whenever the record changes', async () => {
      const world = new SimWorld();
      world.store.put(leaderRecord('ghost', 15));
      const b = world.add('b', fast);
      b.start();
      await world.advance(10_000);
      world.store.put(leaderRecord('ghost', 15)); // the ghost renewed
      await world.advance(14_000);
      expect(b.elector.currentTerm()).to.be.undefined;
      await world.advance(1_100);
      expect(b.elector.currentTerm()).to.not.be.undefined;
      await world.stopAll();
    });

    it('acts on a release seen on the watch within milliseconds', async () => {
      const world = new SimWorld();
      const { a, blog } = await startLeaderAndFollower(world, {
        a: { ...fast, releaseOnCancel: true },
        settleMs: 5_000,
      });
      const stoppedAt = world.scheduler.now;
      a.stop.abort();
      await world.advance(100);
      expect(blog).to.have.length(1);
      expect(blog[0]!.start - stoppedAt).to.be.lessThan(10);
      await world.stopAll();
    });

    it('polls every jittered retryPeriod only while the watch is down', async () => {
      const world = new SimWorld();
      const { b } = await startLeaderAndFollower(world, {
        b: { ...fast, wrapLock: failingWatch },
        settleMs: 1_000,
      });
      const gets = world.store.counters.get;
      await world.advance(60_000);
      const polls = world.store.counters.get - gets;
      // client-go's jitter: every [2 s, 4.4 s) → between 13 and 30 in a minute.
      expect(polls).to.be.within(13, 31);
      expect(b.elector.currentTerm()).to.be.undefined;
      await world.stopAll();
    });

    it('keeps polling every jittered retryPeriod when timers fire a fraction of a millisecond early (regression)', async () => {
      // With real timers, a poll timer could fire just before its due time on the monotonic clock;
      // the follower then drew a new delay instead of polling, and missed renews until it expired.
      const world = new SimWorld();
      const { b } = await startLeaderAndFollower(world, {
        b: { ...fast, wrapLock: failingWatch, earlyTimersMs: 0.5 },
        settleMs: 1_000,
      });
      const gets = world.store.counters.get;
      const updates = world.store.counters.update;
      await world.advance(60_000);
      expect(world.store.counters.get - gets).to.be.within(13, 31);
      expect(world.store.counters.update - updates).to.equal(30); // only a's renews: b never tried to take over
      expect(b.elector.currentTerm()).to.be.undefined;
      await world.stopAll();
    });

    it('restarts a watch that ended quietly from its last resourceVersion, without polling', async () => {
      const world = new SimWorld();
      const { b } = await startLeaderAndFollower(world, { settleMs: 1_000 });
      const gets = world.store.counters.get;
      world.store.dropWatches();
      await world.advance(10_000);
      expect(world.store.counters.get).to.equal(gets);
      world.store.dropWatches();
      await world.advance(10_000);
      expect(world.store.counters.get).to.equal(gets);
      expect(b.elector.currentLeader()).to.equal('a');
      await world.stopAll();
    });

    it('relists after a 410 and still sees the leader renew', async () => {
      const world = new SimWorld();
      const { a, b } = await startLeaderAndFollower(world, { settleMs: 1_000 });
      // Make the history forget b's resourceVersion, then drop: b resumes with a too-old version.
      for (let i = 0; i < 60; i++) world.store.touch();
      world.store.dropWatches();
      await world.advance(30_000);
      expect(b.elector.currentTerm()).to.be.undefined;
      expect(a.elector.currentTerm()).to.not.be.undefined;
      await world.stopAll();
    });

    it('takes over a record it cannot read, by compare-and-swap', async () => {
      const world = new SimWorld();
      world.store.put(undefined);
      const b = world.add('b', fast);
      b.start();
      await world.advance(100);
      expect(b.elector.currentTerm()?.epoch).to.equal(1);
      expect(world.store.counters.update).to.equal(1);
      expect(world.store.counters.create).to.equal(0);
      await world.stopAll();
    });

    it('logs a record it cannot time once, and takes the lock over', async () => {
      const world = new SimWorld();
      const logger = memoryLogger();
      world.store.put(leaderRecord('x', 0));
      const b = world.add('b', { ...fast, logger });
      b.start();
      await world.advance(100);
      const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => l.message);
      expect(warnings).to.deep.equal([
        'lease sim/sim-lock: the record names holder "x" without a positive leaseDurationSeconds; treating it as held by the last valid holder seen until that holder expires, else as free (it is still only replaced by compare-and-swap)',
      ]);
      expect(b.elector.currentTerm()).to.not.be.undefined;
      expect(logger.lines.some((l) => l.message === 'lease sim/sim-lock: the leader record is readable')).to
        .be.true;
      await world.stopAll();
    });
  });
});

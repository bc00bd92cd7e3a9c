import { expect } from 'chai';
import type { Clock, Lock, LockWatchEvent, LockWatchHandlers } from '@kubekit/leaderelection';
import { lockWith } from '../support/lock-with.js';
import { SimWorld, fast, type SimCandidate, type SimCandidateOptions } from '../support/sim-world.js';
import { overlapped, termLog } from '../support/term-log.js';

// A follower that loses the race for a released lock (its write is a 409) learns the holder that
// won from its watch, and reads the lock only when the watch does not bring it in time.

/**
 * What a candidate's watch does with events that name a holder other than itself (the write that
 * beat it, and that holder's renews): `lose` them (the stream stays up), `hold` the next one (in
 * `held`, for the test to deliver; later ones are delivered), or `deliver` them as usual.
 */
type WatchMode = 'deliver' | 'lose' | 'hold';

interface WatchTap {
  mode: WatchMode;
  readonly held: (() => void)[];
}

function tappedWatch(identity: string, tap: WatchTap): (lock: Lock) => Lock {
  return (lock) =>
    lockWith(lock, {
      watch: (rv: string | undefined, handlers: LockWatchHandlers, signal: AbortSignal) =>
        lock.watch(
          rv,
          {
            onEstablished: () => {
              handlers.onEstablished();
            },
            onEvent: (event: LockWatchEvent) => {
              const holder = event.type === 'changed' ? (event.snapshot.record?.holderIdentity ?? '') : '';
              if (holder === '' || holder === identity || tap.mode === 'deliver') {
                handlers.onEvent(event);
                return;
              }
              if (tap.mode === 'hold') {
                tap.held.push(() => {
                  handlers.onEvent(event);
                });
                tap.mode = 'deliver';
              }
            },
          },
          signal,
        ),
    });
}

/**
 * `a` leads with releaseOnCancel; `b` and `c` follow, each through a tapped watch. Stopping `a`
 * releases the lock: `b` and `c` write at once, one wins, the other gets a 409.
 */
async function race(
  mode: WatchMode,
  followerOptions: SimCandidateOptions = {},
): Promise<{
  world: SimWorld;
  /** The loser's watch tap. */
  tap: WatchTap;
  winner: SimCandidate;
  loser: SimCandidate;
  releasedAt: number;
  getsBefore: number;
  updatesBefore: number;
}> {
  const world = new SimWorld();
  const a = world.add('a', { ...fast, releaseOnCancel: true });
  a.start();
  await world.advance(50);
  const taps = new Map<string, WatchTap>([
    ['b', { mode: 'deliver', held: [] }],
    ['c', { mode: 'deliver', held: [] }],
  ]);
  const b = world.add('b', { ...fast, ...followerOptions, wrapLock: tappedWatch('b', taps.get('b')!) });
  const c = world.add('c', { ...fast, ...followerOptions, wrapLock: tappedWatch('c', taps.get('c')!) });
  b.start();
  c.start();
  await world.advance(1_000);
  expect(b.elector.currentLeader()).to.equal('a');
  expect(c.elector.currentLeader()).to.equal('a');
  const getsBefore = world.store.counters.get;
  const updatesBefore = world.store.counters.update;
  const conflictsBefore = world.store.counters.conflicts;
  const releasedAt = world.scheduler.now;
  for (const tap of taps.values()) tap.mode = mode;
  a.stop.abort();
  await world.advance(20);
  const winner = [b, c].find((x) => x.elector.currentTerm() !== undefined);
  const loser = [b, c].find((x) => x !== winner);
  expect(winner, 'one of b and c leads').to.not.be.undefined;
  expect(world.store.counters.conflicts - conflictsBefore, 'the other lost the race').to.equal(1);
  return {
    world,
    tap: taps.get(loser!.lock.identity)!,
    winner: winner!,
    loser: loser!,
    releasedAt,
    getsBefore,
    updatesBefore,
  };
}

describe('LeaseElector', () => {
  describe('.run, after losing the race to acquire (409)', () => {
    it('learns the holder that won from its watch, without reading the lock', async () => {
      const { world, winner, loser, getsBefore } = await race('deliver');
      expect(loser.elector.currentLeader()).to.equal(winner.lock.identity);
      await world.advance(30_000);
      expect(world.store.counters.get - getsBefore).to.equal(0);
      expect(loser.elector.currentTerm()).to.be.undefined;
      await world.stopAll();
    });

    it('reads the lock within a jittered retryPeriod when the watch loses the write that won, and writes nothing over the stale version meanwhile', async () => {
      const { world, winner, loser, releasedAt, getsBefore, updatesBefore } = await race('lose');
      const loserName = loser.lock.identity;
      // Until the read: nothing learnt, no read, and no second write (only the two racing writes).
      const leaderBefore = loser.elector.currentLeader();
      expect(leaderBefore).to.not.equal(winner.lock.identity);
      await world.advance(fast.retryPeriod - 100);
      expect(world.store.counters.get - getsBefore).to.equal(0);
      expect(world.store.counters.update - updatesBefore).to.equal(3); // a's release, b's and c's writes
      expect(loser.elector.currentLeader()).to.equal(leaderBefore);
      // client-go's jitter: the read comes before 2.2 × retryPeriod (plus a round trip).
      await world.advance(fast.retryPeriod * 1.2 + 100);
      expect(world.store.counters.get - getsBefore).to.equal(1);
      expect(loser.elector.currentLeader()).to.equal(winner.lock.identity);
      expect(world.scheduler.now - releasedAt).to.be.lessThan(2.2 * fast.retryPeriod + 100);
      // It follows the winner as usual: the winner's renews keep it away from the lock.
      await world.advance(30_000);
      expect(loser.elector.currentTerm(), `${loserName} must not lead`).to.be.undefined;
      expect(winner.elector.currentTerm()).to.not.be.undefined;
      await world.stopAll();
    });

    it('takes the lock when the winner dies, leaseDuration after the last record of the winner it saw', async () => {
      const { world, winner, loser, tap } = await race('lose');
      await world.advance(2.2 * fast.retryPeriod + 100);
      expect(loser.elector.currentLeader()).to.equal(winner.lock.identity);
      tap.mode = 'deliver'; // the watch works again
      // The winner crashes (no release); its last renew was within retryPeriod before.
      const crashedAt = world.scheduler.now;
      winner.process.pause(Number.MAX_SAFE_INTEGER);
      let tookOverAt: number | undefined;
      loser.elector.leadership$.subscribe((l) => {
        if (l.leading) tookOverAt ??= world.scheduler.now;
      });
      await world.advance(fast.leaseDuration + fast.retryPeriod);
      expect(tookOverAt).to.be.within(
        crashedAt + fast.leaseDuration - fast.retryPeriod,
        crashedAt + fast.leaseDuration + 10,
      );
      loser.stop.abort(); // (the winner's process never runs again)
      await world.advance(fast.leaseDuration);
      expect(await Promise.race([loser.running, Promise.resolve('pending')])).to.be.undefined;
    });

    it('reads after the wait for the write that won when timers fire a fraction of a millisecond early (regression: it spun through the fraction)', async () => {
      // Timers that fire just before the monotonic clock says they are due (real ones can): the
      // follower waiting for the watch found the read not yet due and paused again for the
      // remainder, which such a clock ends at once, again and again until the clock crept past.
      let shortSleeps = 0;
      const counting = (clock: Clock): Clock => ({
        now: () => clock.now(),
        date: () => new Date(),
        sleep: (ms, signal) => {
          if (ms < 1) shortSleeps++;
          return clock.sleep(ms, signal);
        },
      });
      const { world, winner, loser, getsBefore } = await race('lose', {
        earlyTimersMs: 0.5,
        wrapClock: counting,
      });
      await world.advance(2.2 * fast.retryPeriod + 100);
      expect(shortSleeps, 'pauses of under a millisecond').to.be.at.most(2);
      expect(world.store.counters.get - getsBefore).to.equal(1);
      expect(loser.elector.currentLeader()).to.equal(winner.lock.identity);
      await world.stopAll();
    });

    it('stops at once while it waits for the write that won, without reading or writing', async () => {
      const { world, loser, getsBefore } = await race('lose');
      const conflicts = world.store.counters.conflicts;
      loser.stop.abort();
      await world.advance(10);
      expect(await Promise.race([loser.running, Promise.resolve('pending')])).to.be.undefined;
      await world.advance(3 * fast.retryPeriod);
      expect(world.store.counters.get - getsBefore, 'reads').to.equal(0);
      expect(world.store.counters.conflicts - conflicts, 'writes over the stale version').to.equal(0);
      await world.stopAll();
    });

    it('waits leaseDuration after a deletion seen while it waits for the write that won, then reads before creating and does not take the lock the winner re-created', async () => {
      // The deletion reaches its watch (it names no holder); the winner's re-creation does not.
      const { world, winner, loser } = await race('lose');
      const winnerTerm = winner.elector.currentTerm();
      const llog = termLog(world, loser);
      await world.advance(fast.retryPeriod / 4);
      world.store.delete();
      const deletedAt = world.scheduler.now;
      const creates = world.store.counters.create;
      await world.advance(10);
      expect(loser.elector.currentLeader(), 'the loser saw the deletion').to.be.undefined;
      let learnedAt: number | undefined;
      for (let t = 0; t < 3 * fast.leaseDuration; t += 100) {
        await world.advance(100);
        if (learnedAt === undefined && loser.elector.currentLeader() === winner.lock.identity) {
          learnedAt = world.scheduler.now; // by reading: its watch loses the winner's events
        }
      }
      expect(learnedAt, 'the loser learned the re-created record').to.not.be.undefined;
      expect(learnedAt! - deletedAt, 'the loser waited for the claim').to.be.at.least(fast.leaseDuration);
      expect(world.store.counters.create - creates, 'creates: only the winner re-creating').to.equal(1);
      expect(llog, 'the loser never led').to.have.length(0);
      expect(winner.elector.currentTerm(), 'the winner kept its term').to.equal(winnerTerm);
      await world.stopAll();
    });

    it('learns the holder from a late watch event, without reading, when it comes within retryPeriod', async () => {
      const { world, winner, loser, getsBefore, tap } = await race('hold');
      const held = tap.held;
      await world.advance(fast.retryPeriod / 2);
      expect(loser.elector.currentLeader()).to.not.equal(winner.lock.identity);
      expect(held).to.have.length(1);
      for (const deliver of held.splice(0)) deliver();
      expect(loser.elector.currentLeader()).to.equal(winner.lock.identity);
      await world.advance(3 * fast.retryPeriod);
      expect(world.store.counters.get - getsBefore).to.equal(0);
      await world.stopAll();
    });

    it('reads at once when its watch breaks while it waits for the write that won', async () => {
      const { world, winner, loser, getsBefore } = await race('lose');
      world.store.dropWatches(new Error('simulated connection reset'));
      await world.advance(20);
      expect(world.store.counters.get - getsBefore).to.be.at.least(1);
      expect(loser.elector.currentLeader()).to.equal(winner.lock.identity);
      await world.stopAll();
    });

    it('does not take the record of another process under its identity for its own when it lost the race to it (regression: same epoch, same second)', async () => {
      // Two processes share an identity (a misconfiguration the elector detects) and wall clocks
      // that agree to the second. The one whose write conflicted had marked that epoch and acquire
      // time as its own before sending; the winner's record matched it, so the loser overwrote it at
      // once while the winner's term was valid (found by the simulation, seed 2452 of 5000).
      const world = new SimWorld();
      const sameSecond = (clock: Clock): Clock => ({
        now: () => clock.now(),
        sleep: (ms, signal) => clock.sleep(ms, signal),
        date: () => new Date(1_700_000_000_000 + world.scheduler.now),
      });
      const a = world.add('a', { ...fast, releaseOnCancel: true });
      a.start();
      await world.advance(50);
      const b = world.add('dup', { ...fast, wrapClock: sameSecond });
      const c = world.add('dup', { ...fast, wrapClock: sameSecond });
      const blog = termLog(world, b);
      const clog = termLog(world, c);
      b.start();
      c.start();
      await world.advance(1_000);
      a.stop.abort();
      await world.advance(fast.leaseDuration / 2);
      expect(blog.length + clog.length).to.equal(1);
      expect(overlapped(blog, clog)).to.be.false;
      await world.advance(3 * fast.leaseDuration);
      expect(overlapped(blog, clog)).to.be.false;
      await world.stopAll();
    });
  });
});

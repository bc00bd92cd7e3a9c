import { expect } from 'chai';
import { LeaderElectionError } from '@kubekit/leaderelection';
import type { Lock } from '@kubekit/leaderelection';
import type { SimLock } from '../sim/sim-lock-store.js';
import { addLeaderAndFollower } from '../support/leader-and-follower.js';
import { SimWorld, fast } from '../support/sim-world.js';
import { overlapped, termLog } from '../support/term-log.js';

/** `lock` with a watch that can be refused, and the times (virtual ms) of its absent reads and creates. */
interface Tapped {
  readonly lock: Lock;
  watchRefused: boolean;
  readonly absentReads: number[];
  readonly creates: number[];
}

function tap(world: SimWorld, lock: SimLock): Tapped {
  const tapped: Tapped = {
    watchRefused: false,
    absentReads: [],
    creates: [],
    lock: {
      identity: lock.identity,
      name: lock.name,
      description: lock.description,
      get: async (signal) => {
        const snapshot = await lock.get(signal);
        if (snapshot === undefined) tapped.absentReads.push(world.scheduler.now);
        return snapshot;
      },
      create: (record, signal) => {
        tapped.creates.push(world.scheduler.now);
        return lock.create(record, signal);
      },
      update: (record, resourceVersion, signal) => lock.update(record, resourceVersion, signal),
      watch: (resourceVersion, handlers, signal) =>
        tapped.watchRefused
          ? Promise.reject(new LeaderElectionError('apiError', 'simulated watch refused'))
          : lock.watch(resourceVersion, handlers, signal),
    },
  };
  return tapped;
}

/** A leader `a` and a follower `b` (its lock tapped) that has seen `a`'s record. */
async function leaderAndTappedFollower(
  world: SimWorld,
  bOptions: { watch?: boolean } = {},
): Promise<ReturnType<typeof addLeaderAndFollower> & { tapped: Tapped }> {
  let tapped: Tapped | undefined;
  const pair = addLeaderAndFollower(world, {
    b: {
      ...fast,
      ...bOptions,
      wrapLock: (lock) => {
        tapped = tap(world, lock);
        return tapped.lock;
      },
    },
  });
  pair.a.start();
  await world.advance(50);
  pair.b.start();
  await world.advance(3_000);
  expect(pair.alog).to.have.length(1);
  return { ...pair, tapped: tapped! };
}

/**
 * The follower created the lock once, leaseDuration (+ up to 50 ms) after `from`, and its term
 * never overlapped the leader's.
 */
function expectTakenLeaseDurationAfter(
  pair: Awaited<ReturnType<typeof leaderAndTappedFollower>>,
  from: number,
): void {
  expect(pair.tapped.creates).to.have.length(1);
  expect(pair.tapped.creates[0]! - from).to.be.within(fast.leaseDuration, fast.leaseDuration + 50);
  expect(overlapped(pair.alog, pair.blog)).to.be.false;
}

describe('LeaseElector: an absent lock seen again', () => {
  it('after a gap (watch down, reads failing) an absent read starts a new expiry clock: the holder re-created the lock meanwhile', async () => {
    const world = new SimWorld();
    const { a, b, alog, blog, tapped } = await leaderAndTappedFollower(world);
    world.store.delete(); // b's watch shows the absence; a re-creates the lock at its next renew
    const firstDeletion = world.scheduler.now;
    await world.advance(200);
    // b is cut off: its watch breaks and stays refused, its reads are refused.
    b.lock.setPartition('refuse');
    tapped.watchRefused = true;
    world.store.dropWatches(new Error('simulated connection reset'));
    await world.advance(12_800);
    expect(world.store.snapshot()?.record?.holderIdentity, 'a re-created the lock').to.equal('a');
    expect(alog[0]!.end, 'a still leads').to.be.undefined;
    // a can no longer renew (its term runs out at renewDeadline); the lock is deleted again.
    a.lock.setPartition('blackhole');
    world.store.delete();
    b.lock.setPartition('none'); // b's reads work again (its watch is still refused)
    const reads = tapped.absentReads.length;
    await world.advance(3_000);
    expect(tapped.absentReads.length, 'b read the lock absent').to.be.greaterThan(reads);
    const absentReadAt = tapped.absentReads[reads]!;
    expect(absentReadAt - firstDeletion, 'the first absence would have expired').to.be.at.least(
      fast.leaseDuration - 1_000,
    );
    await world.advance(2 * fast.leaseDuration);
    expect(tapped.creates, 'b created the lock').to.not.be.empty;
    expect(tapped.creates[0]! - absentReadAt).to.be.at.least(fast.leaseDuration);
    expect(overlapped(alog, blog), 'a and b led at once').to.be.false;
    expect(blog).to.have.length(1);
    a.lock.setPartition('none');
    tapped.watchRefused = false;
    await world.stopAll();
  });

  it("a release by a replica that created the deleted lock unaware of the holder does not end that holder's claim", async () => {
    const world = new SimWorld();
    const { a, alog, blog, tapped } = await leaderAndTappedFollower(world);
    a.lock.setPartition('blackhole'); // a cannot renew, nor re-create the lock: it leads until renewDeadline
    world.store.delete();
    const deletedAt = world.scheduler.now;
    await world.advance(1_000);
    // A new replica, whose first sight of the lock is its absence, creates it (it cannot know of a)
    // and then stops, releasing it.
    const c = world.add('c', { ...fast, releaseOnCancel: true });
    c.start();
    await world.advance(1_000);
    expect(world.store.snapshot()?.record?.holderIdentity, 'c created the lock').to.equal('c');
    expect(world.store.snapshot()?.record?.leaseTransitions, 'at epoch 0').to.equal(0);
    c.stop.abort();
    await world.advance(1_000);
    expect(blog, 'b took the lock at once after the release').to.have.length(0);
    expect(world.store.snapshot()?.record?.holderIdentity, 'c released the lock').to.equal('');
    await world.advance(2 * fast.leaseDuration);
    const taken = blog[0];
    expect(taken, 'b took the lock').to.not.be.undefined;
    expect(taken!.start - deletedAt, 'b waited for the claim of a').to.be.at.least(fast.leaseDuration);
    expect(taken!.term.epoch, 'above the epoch of a').to.be.greaterThan(alog[0]!.term.epoch);
    expect(overlapped(alog, blog), 'a and b led at once').to.be.false;
    expect(tapped.creates).to.have.length(0); // b acquired over the release
    a.lock.setPartition('none');
    await world.stopAll();
  });

  it('a follower stopped past the end of an absence reads before creating: another replica acquired and lost the lock meanwhile', async () => {
    const world = new SimWorld();
    const { a, b, blog, tapped } = await leaderAndTappedFollower(world);
    const c = world.add('c', fast);
    const clog = termLog(world, c);
    c.start();
    await world.advance(1_000);
    a.lock.setPartition('blackhole'); // a cannot renew, nor re-create the lock
    world.store.delete(); // b and c see the absence
    const deletedAt = world.scheduler.now;
    await world.advance(100);
    // b stops running (a stopped-the-world pause) past the end of that absence's claim: its timers
    // and its watch events wait for it meanwhile, the timer first (it was due first).
    const resumeAt = deletedAt + fast.leaseDuration + 5_000;
    b.process.pause(resumeAt);
    await world.advance(fast.leaseDuration);
    expect(clog, 'c took the lock when the claim of a ran out').to.have.length(1);
    await world.advance(resumeAt - 500 - world.scheduler.now);
    world.store.delete(); // c re-creates it at its next renew, after b has resumed
    await world.advance(2 * fast.leaseDuration);
    expect(overlapped(clog, blog), 'b and c led at once').to.be.false;
    expect(
      tapped.creates.filter((at) => at < resumeAt + fast.leaseDuration),
      'b created the lock',
    ).to.be.empty;
    expect(clog[0]!.end, 'c still leads').to.be.undefined;
    a.lock.setPartition('none');
    await world.stopAll();
  });

  it('with its watch up throughout, the absence seen first keeps its clock: takes the lock leaseDuration after the deletion', async () => {
    const world = new SimWorld();
    const pair = await leaderAndTappedFollower(world);
    pair.a.lock.setPartition('blackhole'); // a cannot renew, nor re-create the lock
    world.store.delete();
    const deletedAt = world.scheduler.now;
    await world.advance(2 * fast.leaseDuration);
    expectTakenLeaseDurationAfter(pair, deletedAt);
    expect(pair.blog).to.have.length(1);
    pair.a.lock.setPartition('none');
    await world.stopAll();
  });

  it('a watch that ends quietly and resumes from where it was is no gap: the absence seen first keeps its clock', async () => {
    const world = new SimWorld();
    const pair = await leaderAndTappedFollower(world);
    pair.a.lock.setPartition('blackhole');
    world.store.delete();
    const deletedAt = world.scheduler.now;
    await world.advance(5_000);
    expect(world.store.dropWatches(), 'watches ended quietly').to.be.greaterThan(0);
    await world.advance(2 * fast.leaseDuration);
    expectTakenLeaseDurationAfter(pair, deletedAt);
    pair.a.lock.setPartition('none');
    await world.stopAll();
  });

  it('polling without a watch, successive absent reads keep the clock of the first: takes the lock leaseDuration after it', async () => {
    const world = new SimWorld();
    const pair = await leaderAndTappedFollower(world, { watch: false });
    pair.a.lock.setPartition('blackhole');
    world.store.delete();
    await world.advance(2 * fast.leaseDuration);
    expect(pair.tapped.absentReads.length, 'absent polls').to.be.at.least(3);
    expectTakenLeaseDurationAfter(pair, pair.tapped.absentReads[0]!);
    expect(pair.blog).to.have.length(1);
    pair.a.lock.setPartition('none');
    await world.stopAll();
  });
});

import { expect } from 'chai';
import { LeaderElectionError } from '@kubekit/leaderelection';
import type { Leadership, Lock, LockSnapshot, LockWatchHandlers, Logger } from '@kubekit/leaderelection';
import { lockWith } from '../support/lock-with.js';
import { startLeader, startLeaderAndFollower } from '../support/leader-and-follower.js';
import { leaderRecord } from '../support/leader-record.js';
import { memoryLogger } from '../support/memory-logger.js';
import { SimWorld, fast } from '../support/sim-world.js';
import { overlapped, termLog } from '../support/term-log.js';

/** A gate a test opens by hand. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('LeaseElector regressions', () => {
  it('regression: a lock deleted while held is not acquired by a follower before the holder could have expired', async () => {
    const world = new SimWorld();
    const { a, alog, blog } = await startLeaderAndFollower(world, { settleMs: 3_000 });
    a.lock.setPartition('blackhole'); // a can no longer renew (and does not see the deletion)
    world.store.delete();
    await world.advance(5_000);
    expect(blog, 'b acquired a deleted lock at once').to.have.length(0);
    await world.advance(20_000);
    expect(blog).to.have.length(1);
    expect(overlapped(alog, blog), 'a and b led at once').to.be.false;
    a.lock.setPartition('none');
    await world.stopAll();
  });

  it('regression: a leader whose lock is deleted re-creates it and keeps leading; no follower leads meanwhile', async () => {
    const world = new SimWorld();
    const { alog, blog } = await startLeaderAndFollower(world, { settleMs: 3_000 });
    world.store.delete();
    await world.advance(20_000);
    expect(blog).to.have.length(0);
    expect(alog).to.have.length(1);
    expect(alog[0]!.end).to.be.undefined;
    expect(world.store.snapshot()?.record?.holderIdentity).to.equal('a');
    await world.stopAll();
  });

  it('regression: the epoch keeps increasing when the lock is deleted and created again', async () => {
    const world = new SimWorld();
    world.store.put(leaderRecord('', 1, 7));
    const { a, blog } = await startLeaderAndFollower(world, { settleMs: 1_000 }); // b has seen a's record
    const epochOfA = a.elector.currentTerm()!.epoch;
    expect(epochOfA).to.equal(8);
    a.lock.setPartition('blackhole');
    world.store.delete();
    await world.advance(30_000);
    expect(blog).to.have.length(1);
    expect(blog[0]!.term.epoch).to.be.greaterThan(epochOfA);
    a.lock.setPartition('none');
    await world.stopAll();
  });

  it('regression: a drain timeout does not release the lock; the work is named in the log and on errors$', async () => {
    const world = new SimWorld();
    const logger = memoryLogger();
    const { a, blog } = await startLeaderAndFollower(world, {
      a: { ...fast, releaseOnCancel: true, drainTimeout: 3_000, logger },
      headStartMs: 100,
      settleMs: 100,
    });
    const errors: LeaderElectionError[] = [];
    a.elector.errors$.subscribe((e) => errors.push(e));
    void a.elector.currentTerm()!.track(new Promise<never>(() => undefined), 'reconcile-loop');
    a.stop.abort();
    await world.advance(3_500);
    expect(world.store.snapshot()?.record?.holderIdentity).to.equal('a');
    expect(blog).to.have.length(0);
    const errorLines = logger.lines.filter((l) => l.level === 'error').map((l) => l.message);
    expect(errorLines.join('\n')).to.match(/reconcile-loop/);
    expect(errors.some((e) => e.kind === 'drainTimeout' && e.message.includes('reconcile-loop'))).to.be.true;
    await world.advance(10_000);
    expect(blog, 'b led before the lease expired').to.have.length(0);
    await world.advance(10_000);
    expect(blog).to.have.length(1);
    await world.stopAll();
  });

  it('regression: a throwing subscriber and a throwing logger neither crash nor leave a term un-ended', async () => {
    const world = new SimWorld();
    let throwNow = false;
    const throwing = (): void => {
      if (throwNow) throw new Error('logger broke');
    };
    const logger: Logger = { debug: throwing, info: throwing, warn: throwing, error: throwing };
    const a = world.add('a', { ...fast, logger });
    const b = world.add('b', fast);
    const seen: Leadership[] = [];
    a.elector.leadership$.subscribe((l) => {
      seen.push(l);
      if (l.leading) throw new Error('subscriber broke');
    });
    a.start();
    await world.advance(50);
    b.start();
    await world.advance(1_000);
    const term = a.elector.currentTerm()!;
    throwNow = true;
    a.lock.setPartition('blackhole');
    await world.advance(12_000);
    expect(term.signal.aborted, 'the term signal was never aborted').to.be.true;
    expect(a.elector.currentTerm()).to.be.undefined;
    expect(seen.at(-1)?.leading).to.be.false;
    throwNow = false;
    a.lock.setPartition('none');
    await world.stopAll();
  });

  it('regression: two processes with one identity do not both lead; the duplicate is reported', async () => {
    const world = new SimWorld();
    const a1 = world.add('a', fast);
    const a2 = world.add('a', fast);
    const log1 = termLog(world, a1);
    const log2 = termLog(world, a2);
    const errors: LeaderElectionError[] = [];
    a2.elector.errors$.subscribe((e) => errors.push(e));
    a1.elector.errors$.subscribe((e) => errors.push(e));
    a1.start();
    await world.advance(50);
    a2.start();
    await world.advance(60_000);
    expect(overlapped(log1, log2), 'both processes led at once').to.be.false;
    expect(errors.some((e) => e.kind === 'duplicateIdentity')).to.be.true;
    await world.stopAll();
  });

  it('regression: a stale poll answer does not hide a release the watch already showed', async () => {
    const world = new SimWorld();
    const held = gate();
    let gets = 0;
    const lateFirstRead = (lock: Lock): Lock =>
      lockWith(lock, {
        get: async (signal: AbortSignal): Promise<LockSnapshot | undefined> => {
          const snapshot = await lock.get(signal);
          if (gets++ === 0) await held.opened; // the first answer arrives late: stale by then
          return snapshot;
        },
      });
    const { a, blog } = await startLeaderAndFollower(world, {
      a: { ...fast, releaseOnCancel: true },
      b: { ...fast, wrapLock: lateFirstRead },
      settleMs: 1_000,
    });
    a.stop.abort(); // releases: b's watch shows it
    await world.advance(5);
    held.open();
    await world.advance(200);
    expect(blog, 'b waited for expiry instead of acting on the release').to.have.length(1);
    await world.stopAll();
  });

  it('regression: with watchWhileLeading, a late watch event about the old holder does not end a fresh term', async () => {
    const world = new SimWorld();
    let release: (() => void) | undefined;
    // b's watch lags: events are held back until the test lets them through.
    const laggingWatch = (lock: Lock): Lock =>
      lockWith(lock, {
        watch: (rv: string | undefined, handlers: LockWatchHandlers, signal: AbortSignal) => {
          const queued: (() => void)[] = [];
          let flowing = false;
          release = () => {
            flowing = true;
            for (const deliver of queued.splice(0)) deliver();
          };
          return lock.watch(
            rv,
            {
              onEstablished: () => {
                handlers.onEstablished();
              },
              onEvent: (event) => {
                if (flowing) handlers.onEvent(event);
                else
                  queued.push(() => {
                    handlers.onEvent(event);
                  });
              },
            },
            signal,
          );
        },
      });
    const { a, blog } = await startLeaderAndFollower(world, {
      b: { ...fast, watchWhileLeading: true, wrapLock: laggingWatch },
      settleMs: 2_500, // a renewed: b's watch holds that event back
    });
    a.lock.setPartition('blackhole'); // a dies
    // b acquires once what it read last has expired (its watch is up, so it does not poll).
    await world.advance(35_000);
    expect(blog).to.have.length(1);
    release!(); // the late events about a arrive after b's term began
    await world.advance(100);
    expect(blog[0]!.end, 'a late event ended the fresh term').to.be.undefined;
    a.lock.setPartition('none');
    await world.stopAll();
  });

  it('regression: a follower polls at once when a long-lived watch breaks and the re-watch hangs', async () => {
    const world = new SimWorld();
    let watches = 0;
    const hangingRewatch = (lock: Lock): Lock =>
      lockWith(lock, {
        watch: (rv: string | undefined, handlers: LockWatchHandlers, signal: AbortSignal) => {
          if (watches++ === 0) return lock.watch(rv, handlers, signal);
          // Every re-watch hangs until aborted (a half-open connection).
          return new Promise<void>((resolve) => {
            signal.addEventListener(
              'abort',
              () => {
                resolve();
              },
              { once: true },
            );
          });
        },
      });
    const { a, blog } = await startLeaderAndFollower(world, {
      a: { ...fast, releaseOnCancel: true },
      b: { ...fast, wrapLock: hangingRewatch },
      settleMs: 5_000,
    });
    const gets = world.store.counters.get;
    world.store.dropWatches(new Error('connection reset'));
    await world.advance(20);
    expect(world.store.counters.get - gets, 'no read after the watch broke').to.be.at.least(1);
    a.stop.abort(); // released: only polling can show it now
    await world.advance(fast.retryPeriod * 1.25 + 50);
    expect(blog, 'b did not see the release by polling').to.have.length(1);
    await world.stopAll();
  });

  it('runWhileLeading runs work under the term, is awaited before release, and refuses an ended term', async () => {
    const world = new SimWorld();
    const { a } = await startLeader(world, { a: { ...fast, releaseOnCancel: true }, settleMs: 50 });
    const term = a.elector.currentTerm()!;
    expect(term.remainingMs()).to.be.within(fast.renewDeadline - 100, fast.renewDeadline);
    let finish!: () => void;
    let sawSignal: AbortSignal | undefined;
    const work = term.runWhileLeading('job', async (t) => {
      sawSignal = t.signal;
      await new Promise<void>((resolve) => (finish = resolve));
      return 42;
    });
    a.stop.abort();
    await world.advance(5);
    expect(sawSignal?.aborted).to.be.true;
    expect(term.remainingMs()).to.equal(0);
    expect(world.store.snapshot()?.record?.holderIdentity).to.equal('a');
    finish();
    expect(await work).to.equal(42);
    await world.advance(20);
    expect(world.store.snapshot()?.record?.holderIdentity).to.equal('');
    let called = false;
    const refused = await term
      .runWhileLeading('late', () => {
        called = true;
        return Promise.resolve();
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(called).to.be.false;
    expect(LeaderElectionError.is(refused)).to.be.true;
    await world.stopAll();
  });

  it('exclusiveUntil is the last renew start plus leaseDuration / 1.2, and now once another holder is seen', async () => {
    const world = new SimWorld();
    const { a } = await startLeader(world, { a: { ...fast, watchWhileLeading: true }, settleMs: 2_100 });
    const term = a.elector.currentTerm()!;
    expect(term.exclusiveUntil() - term.validUntil()).to.equal(fast.leaseDuration / 1.2 - fast.renewDeadline);
    world.store.put(leaderRecord('intruder', 15, 99));
    await world.advance(10);
    expect(term.signal.aborted).to.be.true;
    expect(term.exclusiveUntil()).to.be.at.most(a.process.now());
    await world.stopAll();
  });
});

import { expect } from 'chai';
import { Registry } from 'prom-client';
import { LeaderElectionError, LeaseElector } from '@kubekit/leaderelection';
import type {
  ElectionEvent,
  LeaderElectionRecord,
  Leadership,
  Logger,
  Lock,
  LockWatchHandlers,
  Term,
} from '@kubekit/leaderelection';
import { leaseTermOf } from '../support/lease-term-of.js';
import { SimWorld } from '../support/sim-world.js';
import type { SimCandidate } from '../support/sim-world.js';

/** `lock` with a watch the server always refuses (503): the follower must fall back to polling. */
function failingWatch(lock: Lock): Lock {
  return Object.assign(Object.create(lock) as Lock, {
    watch: () => Promise.reject(new LeaderElectionError('apiError', 'watch refused', { statusCode: 503 })),
  });
}

const fast = { leaseDuration: 15_000, renewDeadline: 10_000, retryPeriod: 2_000 };

function record(
  holderIdentity: string,
  leaseDurationSeconds = 15,
  leaseTransitions = 3,
): LeaderElectionRecord {
  return {
    holderIdentity,
    leaseDurationSeconds,
    acquireTime: undefined,
    renewTime: undefined,
    leaseTransitions,
  };
}

function leaderships(candidate: SimCandidate): Leadership[] {
  const seen: Leadership[] = [];
  candidate.elector.leadership$.subscribe((l) => seen.push(l));
  return seen;
}

/** Records when (true time) each candidate's term began and ended. */
function termLog(world: SimWorld, candidate: SimCandidate): { start: number; end?: number; term: Term }[] {
  const log: { start: number; end?: number; term: Term }[] = [];
  candidate.elector.leadership$.subscribe((l) => {
    if (l.leading) {
      const entry: { start: number; end?: number; term: Term } = { start: world.scheduler.now, term: l.term };
      log.push(entry);
      l.term.signal.addEventListener('abort', () => {
        entry.end = world.scheduler.now;
      });
    }
  });
  return log;
}

function memoryLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at =
    (level: string) =>
    (_fields: object, message: string): void => {
      lines.push({ level, message });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('LeaseElector', () => {
  describe('constructor', () => {
    const world = new SimWorld();
    const lock = world.add('x').lock;

    it('defaults to 15 s / 10 s / 2 s', () => {
      expect(new LeaseElector({ lock, registry: null }).timings).to.deep.equal(fast);
    });

    it('rejects leaseDuration not above renewDeadline, naming the lock and the values', () => {
      expect(() => new LeaseElector({ lock, leaseDuration: 10_000, renewDeadline: 10_000, registry: null }))
        .to.throw('lease sim/sim-lock: leaseDuration (10s) must exceed renewDeadline (10s)')
        .that.satisfies((e: unknown) => LeaderElectionError.is(e, 'invalidConfig'));
    });

    it('rejects renewDeadline not above 1.2 × retryPeriod', () => {
      expect(
        () => new LeaseElector({ lock, renewDeadline: 2_400, retryPeriod: 2_000, registry: null }),
      ).to.throw(/renewDeadline \(2.4s\) must exceed 1.2 × retryPeriod \(2.4s\)/);
    });

    it('rejects non-positive and non-finite durations', () => {
      expect(() => new LeaseElector({ lock, retryPeriod: 0, registry: null })).to.throw(
        /retryPeriod \(0 ms\)/,
      );
      expect(() => new LeaseElector({ lock, leaseDuration: Number.NaN, registry: null })).to.throw(
        /leaseDuration/,
      );
    });

    it("rejects an identity that differs from the lock's", () => {
      expect(() => new LeaseElector({ lock, identity: 'y', registry: null })).to.throw(
        LeaderElectionError,
        /identity "y" differs/,
      );
    });
  });

  describe('.run', () => {
    it('creates an absent lock and leads with epoch 0', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      const seen = leaderships(a);
      a.start();
      await world.advance(10);
      const term = a.elector.currentTerm();
      expect(term?.identity).to.equal('a');
      expect(term?.epoch).to.equal(0);
      expect(seen.map((l) => l.leading)).to.deep.equal([false, true]);
      expect(world.store.snapshot()?.record?.holderIdentity).to.equal('a');
      await world.stopAll();
    });

    it('sets validUntil to the start of the acquiring write plus renewDeadline', async () => {
      const world = new SimWorld(5);
      const a = world.add('a', fast);
      a.start();
      await world.advance(30);
      const term = a.elector.currentTerm()!;
      // get (5+5), then create starts at 10 ms on a's clock (offset 0).
      expect(term.validUntil()).to.equal(10 + fast.renewDeadline);
      expect(term.isValid()).to.be.true;
      expect(term.acquiredAt).to.equal(10);
      await world.advance(5_000);
      expect(term.acquiredAt).to.equal(10);
      expect(term.validUntil()).to.be.closeTo(4_010 + fast.renewDeadline, 0.001);
      await world.stopAll();
    });

    it('renews with exactly one conditional write per retryPeriod and no reads', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      a.start();
      await world.advance(100);
      const before = { ...world.store.counters };
      await world.advance(60_000);
      expect(world.store.counters.update - before.update).to.equal(30);
      expect(world.store.counters.get - before.get).to.equal(0);
      expect(a.elector.currentTerm()?.validUntil()).to.be.greaterThan(a.process.now());
      await world.stopAll();
    });

    it('keeps a follower at zero requests at steady state while its watch is up', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      a.start();
      await world.advance(100);
      const b = world.add('b', fast);
      b.start();
      await world.advance(1_000);
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
      world.store.put({ ...record('ghost', 15), renewTime: new Date(0), acquireTime: new Date(0) });
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
      world.store.put(record('ghost', 15));
      let handlers: LockWatchHandlers | undefined;
      const tapWatch = (lock: Lock): Lock =>
        Object.assign(Object.create(lock) as Lock, {
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
        snapshot: { resourceVersion: 'older', record: record('ghost', 15) },
      });
      handlers!.onEvent({ type: 'changed', snapshot: current });
      await world.advance(10_100);
      expect(log).to.have.length(1);
      expect(log[0]!.start).to.be.lessThan(15_100);
      await world.stopAll();
    });

    it('uses the duration from the record, not its own', async () => {
      const world = new SimWorld();
      world.store.put(record('ghost', 40));
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
      world.store.put(record('ghost', 15));
      const b = world.add('b', fast);
      b.start();
      await world.advance(10_000);
      world.store.put(record('ghost', 15)); // the ghost renewed
      await world.advance(14_000);
      expect(b.elector.currentTerm()).to.be.undefined;
      await world.advance(1_100);
      expect(b.elector.currentTerm()).to.not.be.undefined;
      await world.stopAll();
    });

    it('acts on a release seen on the watch within milliseconds', async () => {
      const world = new SimWorld();
      const a = world.add('a', { ...fast, releaseOnCancel: true });
      const b = world.add('b', fast);
      a.start();
      await world.advance(50);
      b.start();
      await world.advance(5_000);
      const blog = termLog(world, b);
      const stoppedAt = world.scheduler.now;
      a.stop.abort();
      await world.advance(100);
      expect(blog).to.have.length(1);
      expect(blog[0]!.start - stoppedAt).to.be.lessThan(10);
      await world.stopAll();
    });

    it('polls every jittered retryPeriod only while the watch is down', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      a.start();
      await world.advance(50);
      const b = world.add('b', { ...fast, wrapLock: failingWatch });
      b.start();
      await world.advance(1_000);
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
      const a = world.add('a', fast);
      a.start();
      await world.advance(50);
      const b = world.add('b', { ...fast, wrapLock: failingWatch, earlyTimersMs: 0.5 });
      b.start();
      await world.advance(1_000);
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
      const a = world.add('a', fast);
      const b = world.add('b', fast);
      a.start();
      await world.advance(50);
      b.start();
      await world.advance(1_000);
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
      const a = world.add('a', fast);
      const b = world.add('b', fast);
      a.start();
      await world.advance(50);
      b.start();
      await world.advance(1_000);
      // Make the history forget b's resourceVersion, then drop: b resumes with a too-old version.
      for (let i = 0; i < 60; i++) world.store.touch();
      world.store.dropWatches();
      await world.advance(30_000);
      expect(b.elector.currentTerm()).to.be.undefined;
      expect(a.elector.currentTerm()).to.not.be.undefined;
      await world.stopAll();
    });

    it('steps down exactly renewDeadline after the start of its last successful renew when partitioned', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      const log = termLog(world, a);
      a.start();
      await world.advance(3_000);
      const term = leaseTermOf(a.elector.currentTerm());
      const lastStart = term.lastRenewedAt;
      a.net.partition = 'blackhole';
      await world.advance(20_000);
      expect(log[0]!.end).to.be.closeTo(lastStart + fast.renewDeadline, 0.01);
      expect(term.isValid()).to.be.false;
      expect(LeaderElectionError.is(term.signal.reason, 'lost')).to.be.true;
      a.net.partition = 'none';
      await world.stopAll();
    });

    it('never lets a partitioned leader and the follower that takes over hold valid terms at once', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      const b = world.add('b', fast);
      const alog = termLog(world, a);
      const blog = termLog(world, b);
      a.start();
      await world.advance(50);
      b.start();
      await world.advance(3_000);
      a.net.partition = 'blackhole';
      await world.advance(30_000);
      expect(alog[0]!.end).to.not.be.undefined;
      expect(blog).to.have.length(1);
      expect(blog[0]!.start).to.be.greaterThan(alog[0]!.end!);
      a.net.partition = 'none';
      await world.advance(5_000);
      expect(a.elector.currentLeader()).to.equal('b');
      await world.stopAll();
    });

    it('with watchWhileLeading, steps down at once when the watch shows another valid holder', async () => {
      const world = new SimWorld();
      const a = world.add('a', { ...fast, watchWhileLeading: true });
      const log = termLog(world, a);
      a.start();
      await world.advance(3_000);
      const at = world.scheduler.now;
      world.store.put(record('intruder', 15, 9));
      await world.advance(100);
      expect(log[0]!.end).to.be.closeTo(at + 1, 0.01);
      expect(a.elector.currentLeader()).to.equal('intruder');
      await world.stopAll();
    });

    it('keeps its watch open while leading with watchWhileLeading', async () => {
      const world = new SimWorld();
      const a = world.add('a', { ...fast, watchWhileLeading: true });
      a.start();
      await world.advance(3_000);
      expect(a.elector.currentTerm()).to.not.be.undefined;
      expect(world.store.openWatches).to.equal(1);
      await world.stopAll();
    });

    it('by default, closes the watch while leading and steps down at the next renew', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      const log = termLog(world, a);
      a.start();
      await world.advance(3_000);
      expect(log).to.have.length(1);
      expect(world.store.openWatches).to.equal(0);
      const at = world.scheduler.now;
      world.store.put(record('intruder', 15, 9));
      await world.advance(100);
      expect(log[0]!.end, 'no watch: the foreign write is not seen at once').to.be.undefined;
      await world.advance(fast.retryPeriod);
      expect(log[0]!.end).to.be.greaterThan(at + 100);
      expect(log[0]!.end).to.be.at.most(at + fast.retryPeriod + 10);
      expect(a.elector.currentLeader()).to.equal('intruder');
      await world.advance(100);
      expect(world.store.openWatches, 'the watch re-opens when the term ends').to.equal(1);
      await world.stopAll();
    });

    it('by default, re-opens a working watch after its term (a release is seen at once)', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      const log = termLog(world, a);
      a.start();
      await world.advance(3_000);
      world.store.put(record('intruder', 15, 9));
      await world.advance(fast.retryPeriod + 100);
      expect(log).to.have.length(1);
      expect(log[0]!.end).to.not.be.undefined;
      expect(world.store.openWatches).to.equal(1);
      const counters = { ...world.store.counters };
      const releasedAt = world.scheduler.now;
      world.store.put(record('', 1, 10));
      await world.advance(50);
      expect(log, 'acquired through the watch, not a poll').to.have.length(2);
      expect(log[1]!.start).to.be.at.most(releasedAt + 10);
      expect(world.store.counters.get, 'no read: the watch delivered the release').to.equal(counters.get);
      expect(world.store.openWatches, 'closed again while leading').to.equal(0);
      await world.stopAll();
      expect(world.store.openWatches).to.equal(0);
    });

    it('re-reads after a conflict and keeps leading when the record is still its own', async () => {
      const world = new SimWorld();
      const registry = new Registry();
      const a = world.add('a', { ...fast, registry });
      const log = termLog(world, a);
      a.start();
      await world.advance(3_000);
      for (let i = 0; i < 5; i++) {
        world.store.touch(); // someone else wrote (e.g. a label): our next write conflicts
        await world.advance(2_000);
      }
      expect(log).to.have.length(1);
      expect(log[0]!.end).to.be.undefined;
      const slowpath = await registry.getSingleMetric('leader_election_slowpath_total')!.get();
      expect(slowpath.values[0]?.value).to.equal(5);
      await world.stopAll();
    });

    it('keeps leading through lost responses (the write landed; the retry conflicts, re-reads, writes again)', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      const log = termLog(world, a);
      a.start();
      await world.advance(3_000);
      a.net.lossRate = 1;
      await world.advance(2_100);
      a.net.lossRate = 0;
      await world.advance(10_000);
      expect(log).to.have.length(1);
      expect(log[0]!.end).to.be.undefined;
      await world.stopAll();
    });

    it('retries 5xx and logs each distinct condition once, and the recovery once', async () => {
      const world = new SimWorld();
      const logger = memoryLogger();
      const a = world.add('a', { ...fast, logger });
      a.start();
      await world.advance(3_000);
      a.net.errorRate = 1;
      await world.advance(7_000);
      a.net.errorRate = 0;
      await world.advance(5_000);
      // Server errors are drawn from 500, 503, 504 and 429: each distinct one is logged once.
      const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => l.message);
      expect(warnings.length).to.be.within(1, 4);
      expect(new Set(warnings).size).to.equal(warnings.length);
      for (const warning of warnings) {
        expect(warning).to.match(
          /^lease sim\/sim-lock: renewing the lease failed \(simulated .*\); retrying$/,
        );
      }
      const debug = logger.lines.filter(
        (l) => l.level === 'debug' && l.message.includes('renewing the lease failed'),
      );
      expect(warnings.length + debug.length).to.equal(3); // renews at 4, 6 and 8 s failed
      expect(logger.lines.filter((l) => l.message.includes('renewing works again'))).to.have.length(1);
      expect(a.elector.currentTerm()).to.not.be.undefined;
      await world.stopAll();
    });

    it('bounds each renew request by the time left before renewDeadline', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      const log = termLog(world, a);
      a.start();
      await world.advance(3_000);
      const term = leaseTermOf(a.elector.currentTerm());
      a.net.latency = () => 60_000; // requests hang
      await world.advance(15_000);
      expect(log[0]!.end).to.be.closeTo(term.lastRenewedAt + fast.renewDeadline, 0.01);
      a.net.latency = () => 1;
      await world.stopAll();
    });

    it('ignores a renew answer that arrives after the term ended', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      a.start();
      await world.advance(3_000);
      const term = leaseTermOf(a.elector.currentTerm());
      a.process.pause(world.scheduler.now + 20_000);
      await world.advance(21_000);
      expect(term.hasEnded()).to.be.true;
      expect(term.isValid()).to.be.false;
      await world.advance(5_000);
      // It may lead again, but only in a new term with a new epoch.
      const next = a.elector.currentTerm();
      if (next !== undefined) expect(next.epoch).to.be.greaterThan(term.epoch);
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
      world.store.put(record('x', 0));
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

    it('rejects when called twice', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      a.start();
      let error: unknown;
      await a.elector.run(new AbortController().signal).catch((e: unknown) => (error = e));
      expect(LeaderElectionError.is(error, 'invalidConfig')).to.be.true;
      await world.stopAll();
    });

    it('completes its observables and reaches state stopped when run resolves', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      let completed = 0;
      a.elector.leadership$.subscribe({ complete: () => completed++ });
      a.elector.leader$.subscribe({ complete: () => completed++ });
      expect(a.elector.state).to.equal('idle');
      a.start();
      await world.advance(10);
      expect(a.elector.state).to.be.oneOf(['following', 'leading']);
      await world.stopAll();
      expect(a.elector.state).to.equal('stopped');
      expect(completed).to.equal(2);
    });
  });

  describe('voluntary stop', () => {
    it('aborts the term signal at once, keeps renewing while tracked work drains, then releases', async () => {
      const world = new SimWorld();
      const a = world.add('a', { ...fast, releaseOnCancel: true });
      const b = world.add('b', fast);
      const alog = termLog(world, a);
      const blog = termLog(world, b);
      a.start();
      await world.advance(50);
      b.start();
      await world.advance(3_000);
      const term = a.elector.currentTerm()!;
      let finish!: () => void;
      void term.track(new Promise<void>((resolve) => (finish = resolve)));
      const stoppedAt = world.scheduler.now;
      a.stop.abort();
      await world.advance(1);
      expect(term.signal.aborted).to.be.true;
      expect(alog[0]!.end).to.equal(stoppedAt);
      const updates = world.store.counters.update;
      await world.advance(7_000); // work still running: the lock stays ours and is renewed
      expect(world.store.counters.update - updates).to.be.at.least(3);
      expect(blog).to.have.length(0);
      expect(world.store.snapshot()?.record?.holderIdentity).to.equal('a');
      finish();
      await world.advance(20);
      expect(blog).to.have.length(1);
      expect(blog[0]!.term.epoch).to.equal(term.epoch + 1);
      await world.stopAll();
    });

    it('does not release without releaseOnCancel: followers wait for expiry', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      const b = world.add('b', fast);
      a.start();
      await world.advance(50);
      b.start();
      await world.advance(1_000);
      a.stop.abort();
      await world.advance(10_000);
      expect(b.elector.currentTerm()).to.be.undefined;
      await world.advance(10_000);
      expect(b.elector.currentTerm()).to.not.be.undefined;
      await world.stopAll();
    });

    it('retries a release that conflicts while the record is still its own', async () => {
      const world = new SimWorld();
      const a = world.add('a', { ...fast, releaseOnCancel: true });
      a.start();
      await world.advance(100);
      world.store.touch();
      a.stop.abort();
      await world.advance(100);
      expect(world.store.snapshot()?.record?.holderIdentity).to.equal('');
      await world.stopAll();
    });
  });

  describe('.whenLeading', () => {
    it('resolves with the term once acquired', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      const leading = a.elector.whenLeading();
      a.start();
      await world.advance(10);
      expect((await leading).identity).to.equal('a');
      expect((await a.elector.whenLeading()).epoch).to.equal(0);
      await world.stopAll();
    });

    it('rejects when its signal aborts', async () => {
      const world = new SimWorld();
      world.store.put(record('ghost', 100));
      const b = world.add('b', fast);
      b.start();
      const controller = new AbortController();
      const waiting = b.elector.whenLeading(controller.signal);
      controller.abort(new Error('gave up'));
      let error: unknown;
      await waiting.catch((e: unknown) => (error = e));
      expect((error as Error).message).to.equal('gave up');
      await world.stopAll();
    });

    it('rejects when the elector stops first', async () => {
      const world = new SimWorld();
      world.store.put(record('ghost', 100));
      const b = world.add('b', fast);
      b.start();
      let error: unknown;
      const waiting = b.elector.whenLeading().catch((e: unknown) => (error = e));
      await world.stopAll();
      await waiting;
      expect(LeaderElectionError.is(error, 'stopped')).to.be.true;
    });
  });

  describe('.healthy', () => {
    it('fails when a leader has not renewed for leaseDuration + tolerance', async () => {
      const world = new SimWorld();
      const a = world.add('a', { ...fast, healthTolerance: 1_000 });
      a.start();
      await world.advance(100);
      expect(a.elector.healthy()).to.be.true;
      a.process.pause(world.scheduler.now + 60_000); // the event loop is stuck
      await world.advance(15_000);
      expect(a.elector.healthy()).to.be.true;
      await world.advance(2_000);
      expect(a.elector.healthy()).to.be.false;
      expect(() => {
        a.elector.checkHealth();
      }).to.throw(/has not renewed for 1\d{4} ms \(limit: leaseDuration 15000 ms \+ tolerance 1000 ms\)/);
      await world.advance(60_000);
      expect(a.elector.healthy()).to.be.true;
      await world.stopAll();
    });
  });

  describe('observability', () => {
    it('reports master status, transitions and requests on the injected registry', async () => {
      const world = new SimWorld();
      const registry = new Registry();
      const a = world.add('a', { ...fast, registry });
      a.start();
      await world.advance(5_000);
      const text1 = await registry.metrics();
      expect(text1).to.include('leader_election_master_status{name="sim-lock"} 1');
      expect(text1).to.include('leader_election_transitions_total{name="sim-lock",transition="acquired"} 1');
      expect(text1).to.include(
        'leader_election_api_requests_total{name="sim-lock",verb="update",code="200"} 2',
      );
      expect(text1).to.include(
        'leader_election_api_requests_total{name="sim-lock",verb="watch",code="200"} 1',
      );
      await world.stopAll();
      const text2 = await registry.metrics();
      expect(text2).to.include('leader_election_master_status{name="sim-lock"} 0');
      // A voluntary stop is no loss (regression: it used to count transition="lost").
      expect(text2).to.include('leader_election_transitions_total{name="sim-lock",transition="stopped"} 1');
      expect(text2).to.not.include('transition="lost"');
    });

    it('shares metrics between electors on one registry', () => {
      const world = new SimWorld();
      const registry = new Registry();
      world.add('a', { registry });
      world.add('b', { registry });
      expect(registry.getMetricsAsArray().map((m) => m.name)).to.have.length(4);
    });

    it('records Events on acquire and loss', async () => {
      const world = new SimWorld();
      const events: ElectionEvent[] = [];
      const a = world.add('a', {
        ...fast,
        eventRecorder: {
          record: (event) => {
            events.push(event);
            return Promise.resolve();
          },
        },
      });
      a.start();
      await world.advance(100);
      world.store.put(record('intruder', 100, 7));
      await world.advance(3_000);
      expect(events.map((e) => e.message)).to.deep.equal([
        'a became leader',
        'a stopped leading: intruder holds the lock',
      ]);
      expect(events.map((e) => e.type)).to.deep.equal(['Normal', 'Warning']);
      await world.stopAll();
    });

    it('leads as usual when Events cannot be recorded', async () => {
      const world = new SimWorld();
      const b = world.add('b', {
        ...fast,
        eventRecorder: { record: () => Promise.reject(new Error('events are forbidden')) },
      });
      b.start();
      await world.advance(10_000);
      expect(b.elector.currentTerm()?.isValid()).to.be.true;
      await world.stopAll();
    });

    it('emits the observed leader on leader$', async () => {
      const world = new SimWorld();
      const a = world.add('a', fast);
      const b = world.add('b', { ...fast, releaseOnCancel: true });
      const seen: (string | undefined)[] = [];
      a.elector.leader$.subscribe((l) => seen.push(l));
      b.start();
      await world.advance(100);
      a.start();
      await world.advance(100);
      b.stop.abort();
      await world.advance(100);
      expect(seen).to.deep.equal([undefined, 'b', undefined, 'a']);
      await world.stopAll();
    });
  });

  describe('with drifting clocks', () => {
    it('stays safe at the tolerated rate ratio when the leader is partitioned', async () => {
      const world = new SimWorld();
      const ratio = fast.leaseDuration / fast.renewDeadline;
      const slowLeader = world.add('a', { ...fast, rate: 1 / Math.sqrt(ratio) });
      const fastFollower = world.add('b', { ...fast, rate: Math.sqrt(ratio) });
      const alog = termLog(world, slowLeader);
      const blog = termLog(world, fastFollower);
      slowLeader.start();
      await world.advance(50);
      fastFollower.start();
      await world.advance(3_000);
      slowLeader.net.partition = 'blackhole';
      await world.advance(40_000);
      expect(blog).to.have.length(1);
      // a's validity in true time ends when its clock reaches validUntil.
      const aTerm = leaseTermOf(alog[0]!.term);
      const aValidEnd = slowLeader.process.trueTimeOf(aTerm.validUntil());
      expect(blog[0]!.start).to.be.at.least(aValidEnd);
      slowLeader.net.partition = 'none';
      await world.stopAll();
    });
  });
});

import { expect } from 'chai';
import { Registry } from 'prom-client';
import { LeaderElectionError } from '@kubekit/leaderelection';
import { startLeader, startLeaderAndFollower } from '../support/leader-and-follower.js';
import { leaseTermOf } from '../support/lease-term-of.js';
import { leaderRecord } from '../support/leader-record.js';
import { memoryLogger } from '../support/memory-logger.js';
import { SimWorld, fast } from '../support/sim-world.js';

// What a leading LeaseElector does: renew, step down in time, and stop (voluntarily) safely.

describe('LeaseElector', () => {
  describe('.run', () => {
    it('steps down exactly renewDeadline after the start of its last successful renew when partitioned', async () => {
      const world = new SimWorld();
      const { a, alog } = await startLeader(world, { settleMs: 3_000 });
      const term = leaseTermOf(a.elector.currentTerm());
      const lastStart = term.lastRenewedAt;
      a.net.partition = 'blackhole';
      await world.advance(20_000);
      expect(alog[0]!.end).to.be.closeTo(lastStart + fast.renewDeadline, 0.01);
      expect(term.isValid()).to.be.false;
      expect(LeaderElectionError.is(term.signal.reason, 'lost')).to.be.true;
      a.net.partition = 'none';
      await world.stopAll();
    });

    it('never lets a partitioned leader and the follower that takes over hold valid terms at once', async () => {
      const world = new SimWorld();
      const { a, alog, blog } = await startLeaderAndFollower(world, { settleMs: 3_000 });
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
      const { a, alog } = await startLeader(world, {
        a: { ...fast, watchWhileLeading: true },
        settleMs: 3_000,
      });
      const at = world.scheduler.now;
      world.store.put(leaderRecord('intruder', 15, 9));
      await world.advance(100);
      expect(alog[0]!.end).to.be.closeTo(at + 1, 0.01);
      expect(a.elector.currentLeader()).to.equal('intruder');
      await world.stopAll();
    });

    it('keeps its watch open while leading with watchWhileLeading', async () => {
      const world = new SimWorld();
      const { a } = await startLeader(world, { a: { ...fast, watchWhileLeading: true }, settleMs: 3_000 });
      expect(a.elector.currentTerm()).to.not.be.undefined;
      expect(world.store.openWatches).to.equal(1);
      await world.stopAll();
    });

    it('by default, closes the watch while leading and steps down at the next renew', async () => {
      const world = new SimWorld();
      const { a, alog } = await startLeader(world, { settleMs: 3_000 });
      expect(alog).to.have.length(1);
      expect(world.store.openWatches).to.equal(0);
      const at = world.scheduler.now;
      world.store.put(leaderRecord('intruder', 15, 9));
      await world.advance(100);
      expect(alog[0]!.end, 'no watch: the foreign write is not seen at once').to.be.undefined;
      await world.advance(fast.retryPeriod);
      expect(alog[0]!.end).to.be.greaterThan(at + 100);
      expect(alog[0]!.end).to.be.at.most(at + fast.retryPeriod + 10);
      expect(a.elector.currentLeader()).to.equal('intruder');
      await world.advance(100);
      expect(world.store.openWatches, 'the watch re-opens when the term ends').to.equal(1);
      await world.stopAll();
    });

    it('by default, re-opens a working watch after its term (a release is seen at once)', async () => {
      const world = new SimWorld();
      const { alog } = await startLeader(world, { settleMs: 3_000 });
      world.store.put(leaderRecord('intruder', 15, 9));
      await world.advance(fast.retryPeriod + 100);
      expect(alog).to.have.length(1);
      expect(alog[0]!.end).to.not.be.undefined;
      expect(world.store.openWatches).to.equal(1);
      const counters = { ...world.store.counters };
      const releasedAt = world.scheduler.now;
      world.store.put(leaderRecord('', 1, 10));
      await world.advance(50);
      expect(alog, 'acquired through the watch, not a poll').to.have.length(2);
      expect(alog[1]!.start).to.be.at.most(releasedAt + 10);
      expect(world.store.counters.get, 'no read: the watch delivered the release').to.equal(counters.get);
      expect(world.store.openWatches, 'closed again while leading').to.equal(0);
      await world.stopAll();
      expect(world.store.openWatches).to.equal(0);
    });

    it('re-reads after a conflict and keeps leading when the record is still its own', async () => {
      const world = new SimWorld();
      const registry = new Registry();
      const { alog } = await startLeader(world, { a: { ...fast, registry }, settleMs: 3_000 });
      for (let i = 0; i < 5; i++) {
        world.store.touch(); // someone else wrote (e.g. a label): our next write conflicts
        await world.advance(2_000);
      }
      expect(alog).to.have.length(1);
      expect(alog[0]!.end).to.be.undefined;
      const slowpath = await registry.getSingleMetric('leader_election_slowpath_total')!.get();
      expect(slowpath.values[0]?.value).to.equal(5);
      await world.stopAll();
    });

    it('keeps leading through lost responses (the write landed; the retry conflicts, re-reads, writes again)', async () => {
      const world = new SimWorld();
      const { a, alog } = await startLeader(world, { settleMs: 3_000 });
      a.net.lossRate = 1;
      await world.advance(2_100);
      a.net.lossRate = 0;
      await world.advance(10_000);
      expect(alog).to.have.length(1);
      expect(alog[0]!.end).to.be.undefined;
      await world.stopAll();
    });

    it('retries 5xx and logs each distinct condition once, and the recovery once', async () => {
      const world = new SimWorld();
      const logger = memoryLogger();
      const { a } = await startLeader(world, { a: { ...fast, logger }, settleMs: 3_000 });
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
      const { a, alog } = await startLeader(world, { settleMs: 3_000 });
      const term = leaseTermOf(a.elector.currentTerm());
      a.net.latency = () => 60_000; // requests hang
      await world.advance(15_000);
      expect(alog[0]!.end).to.be.closeTo(term.lastRenewedAt + fast.renewDeadline, 0.01);
      a.net.latency = () => 1;
      await world.stopAll();
    });

    it('ignores a renew answer that arrives after the term ended', async () => {
      const world = new SimWorld();
      const { a } = await startLeader(world, { settleMs: 3_000 });
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
  });

  describe('voluntary stop', () => {
    it('aborts the term signal at once, keeps renewing while tracked work drains, then releases', async () => {
      const world = new SimWorld();
      const { a, alog, blog } = await startLeaderAndFollower(world, {
        a: { ...fast, releaseOnCancel: true },
        settleMs: 3_000,
      });
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
      const { a, b } = await startLeaderAndFollower(world, { settleMs: 1_000 });
      a.stop.abort();
      await world.advance(10_000);
      expect(b.elector.currentTerm()).to.be.undefined;
      await world.advance(10_000);
      expect(b.elector.currentTerm()).to.not.be.undefined;
      await world.stopAll();
    });

    it('retries a release that conflicts while the record is still its own', async () => {
      const world = new SimWorld();
      const { a } = await startLeader(world, { a: { ...fast, releaseOnCancel: true }, settleMs: 100 });
      world.store.touch();
      a.stop.abort();
      await world.advance(100);
      expect(world.store.snapshot()?.record?.holderIdentity).to.equal('');
      await world.stopAll();
    });
  });

  describe('with drifting clocks', () => {
    it('stays safe at the tolerated rate ratio when the leader is partitioned', async () => {
      const world = new SimWorld();
      const ratio = fast.leaseDuration / fast.renewDeadline;
      const {
        a: slowLeader,
        alog,
        blog,
      } = await startLeaderAndFollower(world, {
        a: { ...fast, rate: 1 / Math.sqrt(ratio) },
        b: { ...fast, rate: Math.sqrt(ratio) },
        settleMs: 3_000,
      });
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

import { expect } from 'chai';
import { Registry } from 'prom-client';
import { LeaderElectionError, LeaseElector } from '@kubekit/leaderelection';
import type { ElectionEvent, Leadership } from '@kubekit/leaderelection';
import { startLeader } from '../support/leader-and-follower.js';
import { leaderRecord } from '../support/leader-record.js';
import { SimWorld, fast } from '../support/sim-world.js';
import type { SimCandidate } from '../support/sim-world.js';

// The elector's contract: construction, acquiring, observables and observability. What a follower
// and a leader do in the election: lease-elector-follower.test.ts and lease-elector-leader.test.ts.

function leaderships(candidate: SimCandidate): Leadership[] {
  const seen: Leadership[] = [];
  candidate.elector.leadership$.subscribe((l) => seen.push(l));
  return seen;
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
      const { a } = await startLeader(world, { settleMs: 30 });
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
      const { a } = await startLeader(world, { settleMs: 100 });
      const before = { ...world.store.counters };
      await world.advance(60_000);
      expect(world.store.counters.update - before.update).to.equal(30);
      expect(world.store.counters.get - before.get).to.equal(0);
      expect(a.elector.currentTerm()?.validUntil()).to.be.greaterThan(a.process.now());
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
      world.store.put(leaderRecord('ghost', 100));
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
      world.store.put(leaderRecord('ghost', 100));
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
      const { a } = await startLeader(world, { a: { ...fast, healthTolerance: 1_000 }, settleMs: 100 });
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
      world.store.put(leaderRecord('intruder', 100, 7));
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
});

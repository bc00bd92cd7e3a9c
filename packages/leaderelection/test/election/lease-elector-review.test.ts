import { expect } from 'chai';
import type { LeaderElectionRecord, Lock, Term } from '@kubekit/leaderelection';
import type { SimLock } from '../sim/sim-lock-store.js';
import { SimWorld } from '../support/sim-world.js';
import type { SimCandidate } from '../support/sim-world.js';

// Found by an adversarial review of the split lease elector: each test pins one interleaving that
// broke a promise of DESIGN.md or of the Term contract (each failed on the code under review).

const fast = { leaseDuration: 15_000, renewDeadline: 10_000, retryPeriod: 2_000 };

interface TermEntry {
  start: number;
  end?: number;
  term: Term;
}

/** Every term a candidate holds, with when (true virtual ms) it began and when its signal aborted. */
function termLog(world: SimWorld, candidate: SimCandidate): TermEntry[] {
  const log: TermEntry[] = [];
  candidate.elector.leadership$.subscribe((l) => {
    if (!l.leading) return;
    const entry: TermEntry = { start: world.scheduler.now, term: l.term };
    log.push(entry);
    l.term.signal.addEventListener('abort', () => {
      entry.end = world.scheduler.now;
    });
  });
  return log;
}

function overlapped(a: readonly TermEntry[], b: readonly TermEntry[]): boolean {
  return a.some((x) => b.some((y) => x.start < (y.end ?? Infinity) && y.start < (x.end ?? Infinity)));
}

/**
 * What ConfigMapLock's annotation does to a record on its way to the server and back: times are
 * written as RFC 3339 with whole seconds (`rfc3339()` in config-map-lock.ts), so the record read
 * back has its acquireTime truncated to the second.
 */
function secondsOnly(date: Date | undefined): Date | undefined {
  return date === undefined ? undefined : new Date(Math.floor(date.getTime() / 1000) * 1000);
}
function asConfigMapAnnotation(lock: SimLock): Lock {
  const truncate = (record: LeaderElectionRecord): LeaderElectionRecord => ({
    ...record,
    acquireTime: secondsOnly(record.acquireTime),
    renewTime: secondsOnly(record.renewTime),
  });
  return {
    identity: lock.identity,
    name: lock.name,
    description: lock.description,
    get: (signal) => lock.get(signal),
    create: (record, signal) => lock.create(truncate(record), signal),
    update: (record, rv, signal) => lock.update(truncate(record), rv, signal),
    watch: (rv, handlers, signal) => lock.watch(rv, handlers, signal),
  };
}

describe('LeaseElector review findings', () => {
  it('regression: exclusiveUntil is capped at a release (a follower may lead at once after it)', async () => {
    const world = new SimWorld();
    const a = world.add('a', { ...fast, releaseOnCancel: true });
    const b = world.add('b', fast);
    const alog = termLog(world, a);
    const blog = termLog(world, b);
    a.start();
    await world.advance(50);
    b.start();
    await world.advance(3_000);
    expect(alog).to.have.length(1);
    const aTerm = alog[0]!.term;
    a.stop.abort();
    await world.advance(100);
    expect(blog, 'b took over after the release').to.have.length(1);
    // The moment b began to lead, read on a's clock: a's term promised nobody could lead before
    // exclusiveUntil() ("no other replica that follows the protocol can lead").
    const bStartOnAClock = a.process.offset + a.process.rate * blog[0]!.start;
    expect(
      bStartOnAClock,
      `b led at ${bStartOnAClock} (a's clock) although a's exclusiveUntil() is ${aTerm.exclusiveUntil()}`,
    ).to.be.at.least(aTerm.exclusiveUntil());
    await world.stopAll();
  });

  it("regression: exclusiveUntil holds while a follower's clock runs up to 20% fast", async () => {
    const world = new SimWorld();
    const a = world.add('a', fast);
    // b's clock runs fast: just within what exclusiveUntil allows for (1.2; validity itself
    // tolerates leaseDuration/renewDeadline = 1.5, and holds there too: no overlap below).
    const b = world.add('b', { ...fast, rate: 1.19 });
    const alog = termLog(world, a);
    const blog = termLog(world, b);
    a.start();
    await world.advance(50);
    b.start();
    await world.advance(4_100); // just after a renew
    a.lock.setPartition('blackhole');
    await world.advance(30_000);
    expect(blog).to.have.length(1);
    const aTerm = alog[0]!.term;
    expect(overlapped(alog, blog), 'signal-to-signal the terms do not overlap').to.be.false;
    const bStartOnAClock = a.process.offset + a.process.rate * blog[0]!.start;
    expect(
      bStartOnAClock,
      `b led at ${bStartOnAClock} (a's clock) although a's exclusiveUntil() is ${aTerm.exclusiveUntil()}`,
    ).to.be.at.least(aTerm.exclusiveUntil());
    a.lock.setPartition('none');
    await world.stopAll();
  });

  it("documents: a replica whose first sight of the lock is its absence (deleted by an outsider) may lead beside the holder until the holder's next renew", async () => {
    // No elector can tell a deleted lock from one never created (the lock keeps no history): a
    // replica starting in that instant takes it (as client-go does). The holder learns of it at
    // its next renew (conflict, re-read, another holder) and steps down at once: the overlap is
    // bounded by retryPeriod plus latency. See the README, "Deleting the lock".
    const world = new SimWorld();
    const a = world.add('a', fast);
    const b = world.add('b', fast);
    const alog = termLog(world, a);
    const blog = termLog(world, b);
    a.start();
    await world.advance(2_100); // a has just renewed
    world.store.delete(); // an outsider deletes the lock (kubectl delete lease)
    b.start(); // b (re)starts now
    await world.advance(20_000);
    expect(blog, 'b took the absent lock').to.have.length(1);
    const overlapMs = (alog[0]!.end ?? Infinity) - blog[0]!.start;
    expect(overlapMs).to.be.at.most(fast.retryPeriod + 10);
    await world.stopAll();
  });

  it('regression: a ConfigMap-lock leader keeps leading past its first renew (own record read back with whole-second times)', async () => {
    const world = new SimWorld();
    const a = world.add('a', { ...fast, wrapLock: asConfigMapAnnotation });
    const alog = termLog(world, a);
    const errors: string[] = [];
    a.elector.errors$.subscribe((e) => errors.push(`${e.kind}: ${e.message}`));
    a.start();
    await world.advance(30_000);
    expect(errors, 'errors reported').to.deep.equal([]);
    expect(alog, 'terms of the only replica').to.have.length(1);
    expect(alog[0]!.end, 'the only replica stopped leading').to.equal(undefined);
    await world.stopAll();
  });
  it('regression: an event recorder that throws synchronously neither leaves a term un-ended nor leadership$ stuck', async () => {
    const world = new SimWorld();
    const a = world.add('a', {
      ...fast,
      // A user-supplied recorder whose record() throws before returning a promise (the interface
      // says a failure "never affects the election").
      eventRecorder: {
        record: (event) => {
          if (event.message.includes('became leader')) throw new Error('recorder not ready');
          return Promise.resolve();
        },
      },
    });
    const alog = termLog(world, a);
    a.start();
    await world.advance(10_000);
    expect(alog.length, 'a acquired').to.be.at.least(1);
    const unended = alog.filter((t) => !t.term.signal.aborted).length;
    await world.stopAll();
    expect(unended, 'terms of a alive at once (signal not aborted)').to.be.at.most(1);
    expect(
      alog.filter((t) => !t.term.signal.aborted).length,
      'terms whose signal never aborted after run() resolved',
    ).to.equal(0);
    expect(a.elector.currentTerm(), 'leadership$ after run() resolved').to.equal(undefined);
  });
  it("documents: after a deletion, a fresh replica overlaps a partitioned holder for at most renewDeadline (the holder's validity)", async () => {
    const world = new SimWorld();
    const a = world.add('a', fast);
    const b = world.add('b', fast);
    const alog = termLog(world, a);
    const blog = termLog(world, b);
    a.start();
    await world.advance(2_100); // a has just renewed (at ~2 s)
    a.lock.setPartition('blackhole'); // a cannot renew, and so cannot learn of b
    world.store.delete();
    b.start();
    await world.advance(20_000);
    expect(alog).to.have.length(1);
    expect(blog).to.have.length(1);
    const overlap = Math.max(
      0,
      Math.min(alog[0]!.end ?? Infinity, blog[0]!.end ?? Infinity) - blog[0]!.start,
    );
    // README, "Deleting the lock": until the holder's next renew fails, or at most until its term
    // ends at renewDeadline when it cannot renew at all.
    expect(overlap, `a and b both led for ${overlap} ms`).to.be.at.most(fast.renewDeadline);
    a.lock.setPartition('none');
    await world.stopAll();
  });
});

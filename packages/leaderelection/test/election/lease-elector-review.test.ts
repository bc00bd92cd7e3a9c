import { expect } from 'chai';
import { filter } from 'rxjs';
import type { Lock } from '@kubekit/leaderelection';
import { inWholeSeconds, rewritingLock } from '../sim/rewriting-lock.js';
import type { SimLock } from '../sim/sim-lock-store.js';
import { addLeaderAndFollower, startLeader, startLeaderAndFollower } from '../support/leader-and-follower.js';
import { SimWorld, fast } from '../support/sim-world.js';
import { overlapped, termLog } from '../support/term-log.js';

// Found by an adversarial review of the split lease elector: each test pins one interleaving that
// broke a promise of DESIGN.md or of the Term contract (each failed on the code under review).

/**
 * What ConfigMapLock's annotation does to a record on its way to the server and back: times are
 * written as RFC 3339 with whole seconds (`rfc3339()` in config-map-lock.ts), so the record read
 * back has its acquireTime truncated to the second.
 */
function asConfigMapAnnotation(lock: SimLock): Lock {
  return rewritingLock(lock, (record) => inWholeSeconds(record, ['acquireTime', 'renewTime']));
}

describe('LeaseElector review findings', () => {
  it('regression: exclusiveUntil is capped at a release (a follower may lead at once after it)', async () => {
    const world = new SimWorld();
    const { a, alog, blog } = await startLeaderAndFollower(world, {
      a: { ...fast, releaseOnCancel: true },
      settleMs: 3_000,
    });
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
    const { a, alog, blog } = await startLeaderAndFollower(world, {
      // b's clock runs fast: just within what exclusiveUntil allows for (1.2; validity itself
      // tolerates leaseDuration/renewDeadline = 1.5, and holds there too: no overlap below).
      b: { ...fast, rate: 1.19 },
      settleMs: 4_100, // just after a renew
    });
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
    const { a, b, alog, blog } = addLeaderAndFollower(world);
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
    const { a, b, alog, blog } = addLeaderAndFollower(world);
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
  it('regression: a renew the API server treats as a no-op (same content, same resourceVersion) does not extend the term', async () => {
    // The integration tests' timings; retryPeriod under a second.
    const short = { leaseDuration: 1_000, renewDeadline: 600, retryPeriod: 200 };
    const world = new SimWorld();
    // What a real API server does with ConfigMapLock's annotation: renewTime is written in whole
    // seconds, so two renews within one wall-clock second write identical content, and an update
    // that changes nothing is a no-op (same resourceVersion, no watch event). acquireTime is kept
    // exact here so that own-record recognition (broken separately, see above) does not mask this.
    const noOpRenews = (lock: SimLock): Lock => ({
      ...rewritingLock(lock, (record) => inWholeSeconds(record, ['renewTime'])),
      update: (record, rv, signal) => {
        const written = inWholeSeconds(record, ['renewTime']);
        const current = world.store.snapshot();
        const same =
          current?.resourceVersion === rv && JSON.stringify(current.record) === JSON.stringify(written);
        // A no-op answers with the object as it is, one round trip later.
        return same ? lock.get(signal).then(() => current) : lock.update(written, rv, signal);
      },
    });
    const noOps = { ...short, wrapLock: noOpRenews };
    const { a, b, alog, blog } = addLeaderAndFollower(world, { a: noOps, b: noOps });
    a.start();
    await world.advance(5);
    b.start();
    // a renews every 200 ms; only the first renew in each wall-clock second changes the object.
    // With renewDeadline under a second and whole-second times, a can only keep its term by the
    // renews that change something: it steps down in between (safe, and what such a format allows).
    // Our ConfigMapLock writes milliseconds, so this needs a record written by another tool.
    await world.advance(1_810); // just after a's no-op renew at ~1.8 s
    a.lock.setPartition('blackhole');
    await world.advance(3_000);
    expect(blog.length).to.be.at.least(1);
    expect(overlapped(alog, blog), 'a and b led at once').to.be.false;
    a.lock.setPartition('none');
    await world.stopAll();
  });
  it('regression: a replica whose acquiring write landed but whose answer was lost recognises its own record at once', async () => {
    const world = new SimWorld();
    let lost = 0;
    const loseFirstCreateAnswer = (lock: SimLock): Lock => ({
      ...rewritingLock(lock),
      create: (record, signal) => {
        const landed = lock.create(record, signal);
        if (lost++ > 0) return landed;
        // The create lands; its answer never arrives (a reset connection, a proxy timeout).
        void landed.catch(() => undefined);
        return new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            reject(signal.reason as Error);
          });
        });
      },
    });
    const a = world.add('a', { ...fast, wrapLock: loseFirstCreateAnswer });
    const alog = termLog(world, a);
    a.start();
    await world.advance(fast.renewDeadline / 2 + 10); // the create's request timeout (renewDeadline / 2) has passed
    expect(world.store.snapshot()?.record?.holderIdentity, 'a created the lock').to.equal('a');
    expect(alog).to.have.length(0);
    // Nobody else exists; the record carries the epoch and acquireTime a chose itself. After the
    // failed attempt a pauses (jittered retryPeriod, < 2.2 × retryPeriod) and reads its own record.
    await world.advance(2.2 * fast.retryPeriod + 100);
    expect(alog, 'a leads once it has read back the record it wrote').to.have.length(1);
    await world.stopAll();
  });
  it('regression: a throwing subscriber of a piped leadership$ does not crash the process', async () => {
    const world = new SimWorld();
    const a = world.add('a', fast);
    // The most common way to subscribe: through an operator. The callback throws once.
    a.elector.leadership$.pipe(filter((l) => l.leading)).subscribe(() => {
      throw new Error('simulated failure of a piped subscriber');
    });
    const uncaught: unknown[] = [];
    // Mocha reports an uncaught exception as a failure of the running test; listen as well, so the
    // assertion below names what happened.
    const onUncaught = (error: unknown): void => {
      uncaught.push(error);
    };
    const mochaListeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      a.start();
      await world.advance(100);
      expect(a.elector.currentTerm(), 'a leads').to.not.equal(undefined);
      await new Promise((resolve) => setTimeout(resolve, 20)); // rxjs reports on a real timer
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      for (const listener of mochaListeners) process.on('uncaughtException', listener);
    }
    expect(uncaught.map(String), 'uncaught exceptions (each would end a Node process)').to.deep.equal([]);
    await world.stopAll();
  });
  it('documents: epochs repeat only for a replica whose first sight of the lock is its absence', async () => {
    const world = new SimWorld();
    const { a, alog } = await startLeader(world, { a: { ...fast, releaseOnCancel: true }, settleMs: 100 });
    a.stop.abort(); // epoch 0 released
    await world.advance(100);
    const a2 = world.add('a2', { ...fast, releaseOnCancel: true });
    const a2log = termLog(world, a2);
    a2.start();
    await world.advance(100); // epoch 1
    world.store.delete(); // an outsider deletes the lock
    const b = world.add('b', fast);
    const blog = termLog(world, b);
    b.start(); // b starts while the lock is absent: it cannot know of the previous epochs
    await world.advance(20_000);
    // a2, which saw epoch 1, waits out the deletion; b, which never saw the lock, starts at 0.
    expect([...alog, ...a2log].map((t) => t.term.epoch)).to.deep.equal([0, 1]);
    expect(blog.map((t) => t.term.epoch)).to.deep.equal([0]);
    await world.stopAll();
  });
});

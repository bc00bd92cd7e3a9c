import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { Clock, ElectionEvent, Lock, LockWatchEvent } from '@kubekit/leaderelection';
import type { SimLock } from '../sim/sim-lock-store.js';
import { SimWorld } from '../support/sim-world.js';
import { overlapped, termLog } from '../support/term-log.js';

// What a subscriber of leadership$ may do inside the term's publication (which now comes first on
// acquisition, before the gauge, the log, the Event and the renew loop): each test pins that the
// term still ends, renews and releases as the algorithm says, and that nothing reports a term that
// did not run.

const timings = { leaseDuration: 15_000, renewDeadline: 10_000, retryPeriod: 2_000 };

/** `lock` with every write it sends recorded (virtual time at the call). */
function recordingWrites(world: SimWorld, lock: SimLock, writes: { at: number; holder: string }[]): Lock {
  return {
    identity: lock.identity,
    name: lock.name,
    description: lock.description,
    get: (signal) => lock.get(signal),
    create: (record, signal) => {
      writes.push({ at: world.scheduler.now, holder: record.holderIdentity });
      return lock.create(record, signal);
    },
    update: (record, rv, signal) => {
      writes.push({ at: world.scheduler.now, holder: record.holderIdentity });
      return lock.update(record, rv, signal);
    },
    watch: (rv, handlers, signal) => lock.watch(rv, handlers, signal),
  };
}

async function gauge(registry: Registry): Promise<number | undefined> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === 'leader_election_master_status');
  return found?.values[0]?.value;
}

async function transitions(registry: Registry): Promise<Record<string, number>> {
  const found = (await registry.getMetricsAsJSON()).find(
    (m) => m.name === 'leader_election_transitions_total',
  );
  const values: Record<string, number> = {};
  for (const value of found?.values ?? []) values[String(value.labels['transition'])] = value.value;
  return values;
}

describe('LeaseElector: what a leadership$ subscriber does inside the term publication', () => {
  it('stopping the elector inside the publication drains, releases once, and writes nothing after', async () => {
    const world = new SimWorld();
    const writes: { at: number; holder: string }[] = [];
    const registry = new Registry();
    const events: string[] = [];
    const a = world.add('a', {
      ...timings,
      releaseOnCancel: true,
      registry,
      eventRecorder: {
        record: (event: ElectionEvent) => {
          events.push(event.message);
          return Promise.resolve();
        },
      },
      wrapLock: (lock) => recordingWrites(world, lock, writes),
    });
    const b = world.add('b', timings);
    const alog = termLog(world, a);
    const blog = termLog(world, b);
    a.elector.leadership$.subscribe((l) => {
      if (!l.leading) return;
      // Leader-gated work tracked by the term, then a synchronous stop (a failing start that stops
      // the process at once).
      void l.term.runWhileLeading(
        'work',
        (term) =>
          new Promise<void>((resolve) => {
            term.signal.addEventListener('abort', () => {
              world.scheduler.at(world.scheduler.now + 300, resolve);
            });
          }),
      );
      a.stop.abort();
    });
    a.start();
    await world.advance(50);
    b.start();
    await world.advance(30_000);
    const gaugeSeen = await gauge(registry);
    expect(alog).to.have.length(1);
    expect(alog[0]!.end, "a's term ended").to.be.a('number');
    expect(a.elector.state).to.equal('stopped');
    expect(a.elector.released, 'a released after its work drained').to.equal(true);
    const release = writes.findIndex((w) => w.holder === '');
    expect(release).to.be.at.least(0);
    expect(writes.slice(release + 1), 'no write after the release').to.deep.equal([]);
    expect(gaugeSeen).to.equal(0);
    expect(await transitions(registry)).to.deep.equal({ acquired: 1, stopped: 1 });
    expect(events).to.deep.equal(['a became leader', 'a stopped leading: the elector is stopping']);
    expect(blog).to.have.length(1);
    expect(overlapped(alog, blog)).to.equal(false);
    await world.stopAll();
  });

  it('a subscriber that throws inside the publication: the term is renewed as usual', async () => {
    const world = new SimWorld();
    const writes: { at: number; holder: string }[] = [];
    const a = world.add('a', { ...timings, wrapLock: (lock) => recordingWrites(world, lock, writes) });
    const alog = termLog(world, a);
    a.elector.leadership$.subscribe((l) => {
      if (l.leading) throw new Error('subscriber bug');
    });
    a.start();
    await world.advance(20_000);
    expect(alog).to.have.length(1);
    expect(alog[0]!.end).to.equal(undefined);
    // Acquisition plus one renew per retryPeriod.
    expect(writes.length).to.be.within(10, 11);
    await world.stopAll();
  });

  it('a watch event that ends the term inside the publication: nothing reports the term as begun after its end', async () => {
    // A lock whose watch delivers events synchronously (the Lock interface allows it) and stops
    // delivering once the watch is closed, and a subscriber whose leader-gated work makes the lock
    // change as another holder's write would, synchronously.
    const world = new SimWorld();
    const registry = new Registry();
    const said: string[] = [];
    const logger = {
      debug: () => undefined,
      info: (_fields: object, message: string) => said.push(message),
      warn: (_fields: object, message: string) => said.push(message),
      error: (_fields: object, message: string) => said.push(message),
    };
    /** Delivers an event on the open watch, synchronously; false when no watch is open. */
    let deliver: ((event: LockWatchEvent) => boolean) | undefined;
    const a = world.add('a', {
      ...timings,
      registry,
      logger,
      eventRecorder: {
        record: (event: ElectionEvent) => {
          said.push(`Event: ${event.message}`);
          return Promise.resolve();
        },
      },
      wrapLock: (lock) => ({
        identity: lock.identity,
        name: lock.name,
        description: lock.description,
        get: (signal) => lock.get(signal),
        create: (record, signal) => lock.create(record, signal),
        update: (record, rv, signal) => lock.update(record, rv, signal),
        watch: (rv, handlers, signal) => {
          deliver = (event) => {
            // Like any lock: nothing is delivered on a watch that was closed.
            if (signal.aborted) return false;
            handlers.onEvent(event);
            return true;
          };
          return lock.watch(rv, handlers, signal);
        },
      }),
    });
    const alog = termLog(world, a);
    a.elector.leadership$.subscribe((l) => {
      if (!l.leading || deliver === undefined) return;
      const snapshot = world.store.put({
        holderIdentity: 'z',
        leaseDurationSeconds: 15,
        acquireTime: new Date(),
        renewTime: new Date(),
        leaseTransitions: 9,
      });
      deliver({ type: 'changed', snapshot });
    });
    a.start();
    await world.advance(5_000);
    expect(alog).to.have.length(1);
    expect(alog[0]!.end, 'the term ended').to.be.a('number');
    expect(await gauge(registry)).to.equal(0);
    expect(await transitions(registry)).to.deep.equal({ acquired: 1, lost: 1 });
    const told = said.filter((line) => /became leader|stopped leading|lost the lease/.test(line));
    expect(told.slice(0, 2), 'became leader (log and Event) before the end of the term').to.deep.equal([
      'a became leader',
      'Event: a became leader',
    ]);
    expect(told.slice(2).join('\n')).to.not.match(/became leader/);
    await world.stopAll();
  });

  it('the rehearsal of a term before campaigning publishes nothing, writes nothing and takes no epoch', async () => {
    const world = new SimWorld();
    const registry = new Registry();
    const writes: { at: number; holder: string }[] = [];
    const a = world.add('a', { ...timings, releaseOnCancel: true });
    const b = world.add('b', {
      ...timings,
      registry,
      wrapLock: (lock) => recordingWrites(world, lock, writes),
    });
    const alog = termLog(world, a);
    const seen: boolean[] = [];
    b.elector.leadership$.subscribe((l) => {
      seen.push(l.leading);
    });
    const blog = termLog(world, b);
    a.start();
    await world.advance(50);
    b.start();
    await world.advance(5_000);
    // b rehearsed a term as it started, and follows: nothing of it shows.
    expect(seen).to.deep.equal([false]);
    expect(b.elector.currentTerm()).to.equal(undefined);
    expect(writes).to.deep.equal([]);
    expect(await gauge(registry)).to.equal(0);
    expect(await transitions(registry)).to.deep.equal({});
    a.stop.abort();
    await world.advance(5_000);
    expect(alog.map((entry) => entry.term.epoch)).to.deep.equal([0]);
    expect(blog.map((entry) => entry.term.epoch)).to.deep.equal([1]);
    expect(seen).to.deep.equal([false, true]);
    await world.stopAll();
  });

  it('a clock that throws once as a polling elector starts: it still campaigns and leads (the rehearsal is best effort)', async () => {
    const world = new SimWorld();
    let armed = false;
    const a = world.add('a', {
      ...timings,
      releaseOnCancel: true,
      // Polling (as client-go): the campaign is the first to read the clock after the rehearsal.
      watch: false,
      wrapClock: (clock: Clock): Clock => ({
        now: () => {
          if (armed) {
            armed = false;
            throw new Error('clock unavailable');
          }
          return clock.now();
        },
        sleep: (ms, signal) => clock.sleep(ms, signal),
      }),
    });
    const alog = termLog(world, a);
    let outcome: unknown = 'running';
    armed = true;
    a.start();
    void a.running?.then(
      () => (outcome = 'resolved'),
      (error: unknown) => (outcome = error),
    );
    await world.advance(10_000);
    expect(outcome).to.equal('running');
    expect(alog.map((entry) => entry.term.epoch)).to.deep.equal([0]);
    await world.stopAll();
    expect(outcome).to.equal('resolved');
  });
  it('a clock that throws once anywhere as a watching elector starts: run() goes on, it leads, and stops cleanly', async () => {
    // The n-th read of the clock throws, for each n of the first reads: one of them is the lock
    // watcher's, which must count as a failed watch (retried), not end the watcher.
    for (let failAt = 1; failAt <= 8; failAt++) {
      const world = new SimWorld();
      let reads = 0;
      const a = world.add('a', {
        ...timings,
        releaseOnCancel: true,
        wrapClock: (clock: Clock): Clock => ({
          now: () => {
            if (++reads === failAt) throw new Error('clock unavailable');
            return clock.now();
          },
          sleep: (ms, signal) => clock.sleep(ms, signal),
        }),
      });
      const alog = termLog(world, a);
      let outcome: unknown = 'running';
      a.start();
      void a.running?.then(
        () => (outcome = 'resolved'),
        (error: unknown) => (outcome = error),
      );
      await world.advance(10_000);
      expect(outcome, `read ${String(failAt)} failed`).to.equal('running');
      // A read inside a term may end that term (never two at once); it leads again.
      expect(alog.length, `read ${String(failAt)} failed`).to.be.greaterThan(0);
      expect(a.elector.state, `read ${String(failAt)} failed`).to.equal('leading');
      await world.stopAll();
      expect(outcome, `read ${String(failAt)} failed`).to.equal('resolved');
    }
  });
});

import { expect } from 'chai';
import sinon from 'sinon';
import { LeaseElector } from '@kubekit/leaderelection';
import type { LeaderElectionError, LeaderElectionRecord, Lock, LockSnapshot } from '@kubekit/leaderelection';

/** A lock answering at once, in memory, whose watch stays open quietly until aborted. */
function memoryLock(identity: string): Lock & { snapshot: LockSnapshot | undefined } {
  let version = 0;
  const lock = {
    identity,
    name: 'memory',
    description: 'lease test/memory',
    snapshot: undefined as LockSnapshot | undefined,
    get: () => Promise.resolve(lock.snapshot),
    create: (record: LeaderElectionRecord) => {
      lock.snapshot = { resourceVersion: String(++version), record };
      return Promise.resolve(lock.snapshot);
    },
    update: (record: LeaderElectionRecord) => {
      lock.snapshot = { resourceVersion: String(++version), record };
      return Promise.resolve(lock.snapshot);
    },
    watch: (_rv: string | undefined, handlers: { onEstablished(): void }, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        handlers.onEstablished();
        signal.addEventListener('abort', () => {
          resolve();
        });
      }),
  };
  return lock;
}

describe('LeaseElector on systemClock (sinon fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    clock.restore();
  });

  it('leads, renews every retryPeriod, and leaves no timer behind once run resolves', async () => {
    const lock = memoryLock('a');
    const elector = new LeaseElector({ lock, registry: null, releaseOnCancel: true });
    const stop = new AbortController();
    const running = elector.run(stop.signal);
    await clock.tickAsync(10);
    expect(elector.currentTerm()?.epoch).to.equal(0);
    await clock.tickAsync(60_000);
    expect(lock.snapshot?.resourceVersion).to.equal('31');
    stop.abort();
    await clock.tickAsync(10);
    await running;
    expect(lock.snapshot?.record?.holderIdentity).to.equal('');
    expect(clock.countTimers()).to.equal(0);
  });
});

// Real timers: what matters is how Node's setTimeout treats a long delay (found in review).
describe('LeaseElector on the real system clock', () => {
  it('regression: drainTimeout Infinity waits for the work instead of timing out after 1 ms', async () => {
    const lock = memoryLock('a');
    const elector = new LeaseElector({ lock, registry: null, releaseOnCancel: true, drainTimeout: Infinity });
    const errors: LeaderElectionError[] = [];
    elector.errors$.subscribe((e) => errors.push(e));
    const stop = new AbortController();
    const running = elector.run(stop.signal);
    const term = await elector.whenLeading(AbortSignal.timeout(5_000));
    void term.track(new Promise<void>((resolve) => setTimeout(resolve, 200)), 'slow work');
    stop.abort();
    await running;
    expect(errors.map((e) => e.kind)).to.deep.equal([]);
    expect(elector.released, 'released after the work settled').to.be.true;
  });
});

import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import sinon from 'sinon';
import { Registry } from 'prom-client';
import { createManager, ManagerError, runnable, type Runnable } from '@kubekit/manager';
import { HealthChecks } from '#lib/http/health-checks.js';
import { VirtualWorld } from '../support/virtual-world.js';

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
}

function addError(add: () => void): unknown {
  try {
    add();
  } catch (error: unknown) {
    return error;
  }
  return undefined;
}

describe('review 2 regressions: bad input to add', () => {
  it('regression: add(runnable, null) and a throwing needLeaderElection() or restartable() get invalidConfig', () => {
    const manager = createManager({ registry: new Registry(), onLeadershipLost: 'recampaign' });
    const plain = runnable(() => Promise.resolve());
    const nullOptions = addError(() => {
      manager.add(plain, null as unknown as { name?: string });
    });
    expect(ManagerError.is(nullOptions, 'invalidConfig'), String(nullOptions)).to.equal(true);
    const throwingNeed = addError(() => {
      manager.add(
        {
          start: () => Promise.resolve(),
          needLeaderElection: () => {
            throw new Error('not configured');
          },
        } as Runnable,
        { name: 'need' },
      );
    });
    expect(ManagerError.is(throwingNeed, 'invalidConfig'), String(throwingNeed)).to.equal(true);
    expect((throwingNeed as ManagerError).message).to.include('need');
    const throwingRestart = addError(() => {
      manager.add(
        {
          start: () => Promise.resolve(),
          restartable: () => {
            throw new Error('not configured');
          },
        } as Runnable,
        { name: 'restart' },
      );
    });
    expect(ManagerError.is(throwingRestart, 'invalidConfig'), String(throwingRestart)).to.equal(true);
    // The rejected runnables were not registered: the valid one can still be added once.
    manager.add(plain, { name: 'plain' });
  });

  it('regression: cacheSyncTimeout must be a positive number', () => {
    for (const cacheSyncTimeout of [0, -1, Number.NaN, '5' as unknown as number]) {
      let error: unknown;
      try {
        createManager({ registry: new Registry(), cacheSyncTimeout });
      } catch (e: unknown) {
        error = e;
      }
      expect(ManagerError.is(error, 'invalidConfig'), String(cacheSyncTimeout)).to.equal(true);
    }
  });
});

describe('review 2 regressions: caches and contract breaches (virtual time)', () => {
  let world: VirtualWorld;
  beforeEach(() => {
    world = new VirtualWorld();
  });
  afterEach(async () => {
    await world.dispose();
  });

  it('regression: a cache that never syncs fails start with startFailed naming it after cacheSyncTimeout (default 2 min)', async () => {
    const a = world.add('a');
    a.manager.add(
      {
        start: (signal: AbortSignal) => untilAborted(signal),
        waitForCacheSync: () => new Promise<boolean>(() => undefined),
      } as Runnable,
      { name: 'informer' },
    );
    a.start();
    await world.advance(119_000);
    expect(a.settledAt, 'still waiting before the timeout').to.equal(undefined);
    await world.advance(2_000);
    expect(ManagerError.is(a.outcome, 'startFailed'), String(a.outcome)).to.equal(true);
    expect((a.outcome as ManagerError).runnables).to.deep.equal(['informer']);
    expect(a.elector.currentTerm(), 'never campaigned').to.equal(undefined);
  });

  it('regression: a runnable on every replica whose start() returns no promise stops the manager with runnableFailed', async () => {
    const a = world.add('a');
    a.manager.add(
      Object.assign({ start: () => undefined }, { needLeaderElection: () => false }) as unknown as Runnable,
      { name: 'sync' },
    );
    a.start();
    await world.advance(1_000);
    expect(ManagerError.is(a.outcome, 'runnableFailed'), String(a.outcome)).to.equal(true);
    expect((a.outcome as ManagerError).runnables).to.deep.equal(['sync']);
    expect(ManagerError.is((a.outcome as ManagerError).cause, 'invalidConfig')).to.equal(true);
  });
});

describe('review 2 regressions: leadership$ without leader election', () => {
  it('regression: a throwing subscriber of an observable piped from leadership$ is logged, not rethrown', async () => {
    const { filter } = await import('rxjs');
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const errors: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (_fields: object, message: string) => {
        errors.push(message);
      },
    };
    try {
      const manager = createManager({ registry: new Registry(), logger });
      manager.leadership$.pipe(filter((l) => l.leading)).subscribe({
        next: () => {
          throw new Error('subscriber bug');
        },
      });
      const stop = new AbortController();
      const running = manager.start(stop.signal);
      let thrown: unknown;
      try {
        await clock.tickAsync(10);
      } catch (error: unknown) {
        thrown = error;
      }
      stop.abort();
      await clock.tickAsync(10);
      await running;
      expect(thrown, 'an exception escaped to the timers').to.equal(undefined);
      expect(errors.some((m) => m.includes('leadership$ subscriber threw'))).to.equal(true);
    } finally {
      clock.restore();
    }
  });
});

describe('review 2 regressions: health checks (virtual time)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
  });
  afterEach(() => {
    clock.restore();
  });

  it('regression: checks run concurrently and one that does not answer within 5 s fails', async () => {
    const failures: string[] = [];
    const checks = new HealthChecks('readyz', (name) => failures.push(name));
    checks.add('hangs', () => new Promise<void>(() => undefined));
    checks.add('hangs-too', () => new Promise<void>(() => undefined));
    checks.add('fine', () => undefined);
    let status: number | undefined;
    let body = '';
    const fake = {
      writeHead: (s: number) => {
        status = s;
        return fake;
      },
      end: (b: string) => {
        body = b;
      },
    } as unknown as ServerResponse;
    const handled = checks.handle(new URL('http://x/readyz'), fake);
    await clock.tickAsync(4_999);
    expect(status, 'no answer before the timeout').to.equal(undefined);
    await clock.tickAsync(1);
    await handled;
    // Both hanging checks timed out together: 5 s, not 10 s.
    expect(status).to.equal(500);
    expect(body).to.include('[-]hangs failed');
    expect(body).to.include('[-]hangs-too failed');
    expect(body).to.include('[+]fine ok');
    expect(failures.sort()).to.deep.equal(['hangs', 'hangs-too']);
  });
});

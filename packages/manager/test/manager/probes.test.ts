import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { LeaseElector } from '@kubekit/leaderelection';
import { MemoryLockStore } from '@kubekit/leaderelection/testing';
import { Manager, ManagerError } from '@kubekit/manager';
import { HealthChecks } from '#lib/http/health-checks.js';
import { Recorder } from '../support/recorder.js';
import { fakeTimers } from '../support/virtual-world.js';

async function get(
  port: number | undefined,
  path: string,
): Promise<{ status: number; body: string; type: string }> {
  const response = await fetch(`http://127.0.0.1:${String(port)}${path}`);
  return {
    status: response.status,
    body: await response.text(),
    type: response.headers.get('content-type') ?? '',
  };
}

function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (performance.now() > deadline) reject(new Error(`not within ${ms} ms: ${what}`));
      else setTimeout(check, 5);
    };
    check();
  });
}

describe('Manager probe and metrics servers (real HTTP)', () => {
  let stop: AbortController;
  let running: Promise<unknown> | undefined;
  beforeEach(() => {
    stop = new AbortController();
    running = undefined;
  });
  afterEach(async () => {
    stop.abort();
    await running;
  });

  function start(manager: Manager): void {
    running = manager.start(stop.signal).catch((e: unknown) => e);
  }

  it('answers /healthz and /readyz as Kubernetes does: ok, ?verbose, failures withheld, one check by path', async () => {
    const registry = new Registry();
    const manager = new Manager({ registry, healthProbeBindAddress: '127.0.0.1:0' });
    let ready = false;
    manager.addReadyzCheck('informers', () => {
      if (!ready) throw new Error('informers not synced');
    });
    manager.addHealthzCheck('loop', () => Promise.resolve());
    start(manager);
    await until(() => manager.state === 'running', 'running');
    const port = manager.ports.healthProbe;
    expect(port).to.be.a('number').above(0);
    expect(await get(port, '/healthz')).to.deep.equal({
      status: 200,
      body: 'ok',
      type: 'text/plain; charset=utf-8',
    });
    expect((await get(port, '/healthz?verbose')).body).to.equal(
      '[+]ping ok\n[+]loop ok\nhealthz check passed\n',
    );
    expect(await get(port, '/readyz')).to.include({
      status: 500,
      body: '[+]ping ok\n[-]informers failed: reason withheld\nreadyz check failed\n',
    });
    expect(await get(port, '/readyz/informers')).to.include({
      status: 500,
      body: 'internal server error: informers not synced\n',
    });
    expect((await get(port, '/readyz?exclude=informers')).status).to.equal(200);
    expect((await get(port, '/readyz?verbose&exclude=informers')).body).to.equal(
      '[+]ping ok\n[+]informers excluded: ok\nreadyz check passed\n',
    );
    ready = true;
    expect(await get(port, '/readyz')).to.include({ status: 200, body: 'ok' });
    expect(await get(port, '/readyz/informers')).to.include({ status: 200, body: 'ok' });
    expect(await get(port, '/healthz/ping')).to.include({ status: 200, body: 'ok' });
    expect((await get(port, '/healthz/nope')).status).to.equal(404);
    expect((await get(port, '/metrics')).status).to.equal(404);
    const post = await fetch(`http://127.0.0.1:${String(port)}/healthz`, { method: 'POST' });
    expect(post.status).to.equal(405);
    await post.text();
  });

  it('puts the elector watchdog on /healthz (leaderElection) and serves one registry on /metrics; readiness ignores leadership', async () => {
    const registry = new Registry();
    const store = new MemoryLockStore({ name: 'probe-lock' });
    store.put({
      holderIdentity: 'someone-else',
      leaseDurationSeconds: 60,
      acquireTime: undefined,
      renewTime: undefined,
      leaseTransitions: 0,
    });
    const elector = new LeaseElector({ lock: store.lock('me'), registry, eventRecorder: null });
    const manager = new Manager({
      registry,
      leaderElection: elector,
      healthProbeBindAddress: '127.0.0.1:0',
      metricsBindAddress: '127.0.0.1:0',
    });
    start(manager);
    await until(() => manager.state === 'running', 'running');
    const { healthProbe, metrics } = manager.ports;
    expect(elector.currentTerm()).to.equal(undefined);
    expect((await get(healthProbe, '/healthz?verbose')).body).to.equal(
      '[+]ping ok\n[+]leaderElection ok\nhealthz check passed\n',
    );
    expect(await get(healthProbe, '/readyz')).to.include({ status: 200, body: 'ok' });
    const scraped = await get(metrics, '/metrics');
    expect(scraped.status).to.equal(200);
    expect(scraped.body).to.include('kubekit_manager_leader_runnables{lock="lease memory/probe-lock"} 0');
    expect(scraped.body).to.include('leader_election_master_status{name="probe-lock"} 0');
    expect((await get(metrics, '/healthz')).status).to.equal(404);
  });

  it('probes answer during shutdown until the very end', async () => {
    const log = new Recorder();
    const manager = new Manager({ registry: new Registry(), healthProbeBindAddress: '127.0.0.1:0' });
    manager.add(log.runnable('slow', { needLeaderElection: false, stopDelayMs: 500 }));
    manager.add(log.runnable('slow-gated', { stopDelayMs: 500 }));
    start(manager);
    await until(() => log.find('start slow-gated').length === 1, 'started');
    const port = manager.ports.healthProbe;
    stop.abort();
    /** When each answer arrived, and its status. */
    const answers: { at: number; status: number }[] = [];
    while (manager.state !== 'stopped') {
      try {
        const { status } = await get(port, '/readyz');
        answers.push({ at: performance.now(), status });
      } catch {
        break;
      }
    }
    await running;
    expect(answers.every((answer) => answer.status === 200)).to.equal(true);
    // Shutdown stops the leader-gated runnable (500 ms), then the one on every replica (500 ms),
    // then the servers: answers came in both phases.
    const gatedStopping = [log.find('abort slow-gated')[0]!.at, log.find('stop slow-gated')[0]!.at];
    const othersStopping = [log.find('abort slow')[0]!.at, log.find('stop slow')[0]!.at];
    expect(othersStopping[0]).to.be.at.least(gatedStopping[1]!);
    const within = ([from, to]: number[]): number =>
      answers.filter((answer) => answer.at > from! && answer.at < to!).length;
    expect(within(gatedStopping)).to.be.at.least(1);
    expect(within(othersStopping)).to.be.at.least(1);
    await get(port, '/readyz').then(
      () => expect.fail('still listening after stop'),
      () => undefined,
    );
  });

  it('fails with bindFailed when an address is taken, and starts nothing', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const log = new Recorder();
      const manager = new Manager({
        registry: new Registry(),
        healthProbeBindAddress: '127.0.0.1:0',
        metricsBindAddress: `127.0.0.1:${taken}`,
      });
      manager.add(log.runnable('r', { needLeaderElection: false }));
      const error = await manager.start(stop.signal).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(ManagerError.is(error, 'bindFailed')).to.equal(true);
      expect((error as Error).message).to.match(
        new RegExp(`metricsBindAddress: cannot listen on 127.0.0.1:${taken} \\(.*EADDRINUSE`),
      );
      expect(log.whats()).to.deep.equal([]);
      expect(manager.state).to.equal('stopped');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('rejects bad check names and duplicates', () => {
    const manager = new Manager({ registry: new Registry() });
    manager.addHealthzCheck('a', () => undefined);
    expect(() => {
      manager.addHealthzCheck('a', () => undefined);
    }).to.throw(/healthz check "a" is already registered/);
    expect(() => {
      manager.addReadyzCheck('no/slash', () => undefined);
    }).to.throw(/readyz check "no\/slash": a name is/);
    expect(() => {
      manager.addReadyzCheck('x', 'nope' as never);
    }).to.throw(/readyz check "x" is not a function/);
  });
});

describe('HealthChecks (virtual time)', () => {
  let clock: ReturnType<typeof fakeTimers>;
  beforeEach(() => {
    clock = fakeTimers();
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

// The informer under the faults it meets in production, on envtest's fault injection. Each test
// makes changes while the fault holds and asserts, once it is gone: no change missed (the cache
// equals the server's list at the same resourceVersions), no object left stale (deletions made
// meanwhile were delivered as deletes), no crash (the informer is still running and healthy).
import diagnostics from 'node:diagnostics_channel';
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { Registry } from 'prom-client';
import { FakeClock } from '../support/fake-clock.js';
import { eventually } from '../support/eventually.js';
import { InformerFixture } from '../support/informer-fixture.js';
import { TcpFront } from '../support/tcp-front.js';

describe('Informer under faults', () => {
  // Bookmarks every 100 ms, as kube-apiserver's every minute scaled down: a quiet watch stays alive.
  const env = useEnvtest({ users: ['informer'], bookmarkIntervalMs: 100 });
  let fixture: InformerFixture | undefined;

  afterEach(async () => {
    await fixture?.stop();
    fixture = undefined;
  });

  function start(
    options: ConstructorParameters<typeof InformerFixture>[3] = {},
    clientOptions: ConstructorParameters<typeof InformerFixture>[4] = {},
    kubeConfig: KubeConfig = env.kubeConfigFor('informer'),
  ): InformerFixture {
    fixture = new InformerFixture(kubeConfig, env.kubeConfig, env.namespace, options, clientOptions);
    return fixture;
  }

  async function seeded(
    options: ConstructorParameters<typeof InformerFixture>[3] = {},
    clientOptions = {},
    kubeConfig?: KubeConfig,
  ): Promise<InformerFixture> {
    const f = start(options, clientOptions, kubeConfig);
    for (const name of ['keep', 'change', 'gone']) await f.create(name, { v: '1' });
    await eventually(() => f.matchesServer(), 'the informer has the seed');
    return f;
  }

  /** Changes made while the informer cannot see them. */
  async function changeWhileAway(f: InformerFixture): Promise<void> {
    await f.update('change', { v: '2' });
    await f.remove('gone');
    await f.create('new', { v: '1' });
  }

  async function expectCaughtUp(f: InformerFixture, options: { clock?: FakeClock } = {}): Promise<void> {
    await eventually(() => f.matchesServer(), 'the cache matches the server', options);
    await eventually(() => f.informer.healthy(), 'the informer is healthy', options);
    expect(f.deleted()).to.deep.equal(['gone']);
    expect(f.informer.get(`${env.namespace}/change`)).to.deep.include({ data: { v: '2' } });
  }

  it('resumes a watch stream cut by a broken connection, from its last resourceVersion, missing nothing', async () => {
    const f = await seeded();
    env.counters.reset();
    const cut = env.faults.add({ user: 'informer', partition: true });
    await changeWhileAway(f);
    cut.remove();
    await expectCaughtUp(f);
    expect(env.counters.count({ user: 'informer', verb: 'list' }), 'resumed, not relisted').to.equal(0);
    expect(env.counters.count({ user: 'informer', verb: 'watch' }), 'a new watch').to.be.greaterThan(0);
  });

  it('relists on 410 Expired at resume, without events for unchanged objects', async () => {
    const f = await seeded();
    const before = f.events.length;
    env.counters.reset();
    const cut = env.faults.add({ user: 'informer', partition: true });
    // A change elsewhere moves the history on; compacting it leaves the informer's resourceVersion behind.
    const elsewhere = `elsewhere-${env.namespace}`;
    await f.admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: elsewhere, namespace: 'default' },
    });
    env.cluster.compact();
    cut.remove();
    await eventually(
      () => env.counters.count({ user: 'informer', verb: 'list' }) === 1,
      'the informer relists',
    );
    await f.admin.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: elsewhere });
    await eventually(() => f.informer.healthy(), 'the informer is healthy');
    expect(f.events.length, 'no event for objects that did not change').to.equal(before);
    await f.create('after');
    await eventually(() => f.matchesServer(), 'it watches again after the relist');
  });

  it('delivers deletes for objects removed while disconnected when the history was compacted meanwhile', async () => {
    const f = await seeded();
    const cut = env.faults.add({ user: 'informer', partition: true });
    await changeWhileAway(f);
    env.cluster.compact();
    cut.remove();
    await expectCaughtUp(f);
  });

  it('drops a watch that stalls (connection open, no bytes) longer than the inactivity timeout and catches up (virtual time)', async () => {
    const registry = new Registry();
    const clock = new FakeClock();
    // One virtual clock for the informer and its client: the watch's inactivity timer runs in it.
    const f = await seeded(
      { clock, inactivityTimeoutMs: 60_000, metrics: registry, random: () => 0 },
      { clock },
    );
    const healthGauge = async (): Promise<string> => {
      const text = await registry.getSingleMetricAsString('kubekit_informer_healthy');
      return /\} (\d+)$/m.exec(text)?.[1] ?? 'none';
    };
    expect(await healthGauge()).to.equal('1');
    env.counters.reset();
    // The open watch goes silent: no events, no bookmarks, its connection kept open.
    expect(env.faults.stallWatches({ user: 'informer' })).to.equal(1);
    await changeWhileAway(f);
    await new Promise((resolve) => setTimeout(resolve, 300)); // real time alone changes nothing
    expect(f.informer.get(`${env.namespace}/change`), 'the stalled watch delivered nothing').to.deep.include({
      data: { v: '1' },
    });
    await clock.advance(59_000);
    expect(env.counters.count({ user: 'informer', verb: 'watch' }), 'not before the timeout').to.equal(0);
    expect(f.informer.list(), 'it keeps serving the last good state').to.have.length(3);
    await clock.advance(1_000);
    await expectCaughtUp(f, { clock });
    const failures = await registry.getSingleMetricAsString('kubekit_informer_watch_failures_total');
    expect(failures).to.match(/reason="timeout"\} [1-9]/);
    expect(env.counters.count({ user: 'informer', verb: 'watch' }), 'a new watch').to.be.greaterThan(0);
    expect(env.counters.count({ user: 'informer', verb: 'list' }), 'resumed, not relisted').to.equal(0);
    expect(await healthGauge()).to.equal('1');
  });

  it('reports unhealthy while every new watch hangs unanswered, and recovers', async () => {
    const registry = new Registry();
    const f = await seeded({ inactivityTimeoutMs: 300, metrics: registry });
    // Every new watch of the informer hangs (the request stays open, no byte comes back).
    const stall = env.faults.add({ user: 'informer', verb: 'watch', hang: true });
    env.faults.dropWatches({ user: 'informer' });
    await changeWhileAway(f);
    await eventually(() => !f.informer.healthy(), 'the stalled informer reports unhealthy');
    expect(() => {
      f.informer.checkHealth();
    }).to.throw(/is failing/);
    expect(f.informer.list(), 'it keeps serving the last good state').to.have.length(3);
    const failures = await registry.getSingleMetricAsString('kubekit_informer_watch_failures_total');
    expect(failures).to.match(/reason="timeout"\} [1-9]/);
    stall.remove();
    await expectCaughtUp(f);
  });

  it('resumes after a malformed event line on the open watch, from its last good resourceVersion, without a relist', async () => {
    const registry = new Registry();
    const f = await seeded({ metrics: registry });
    env.counters.reset();
    // A truncated event line in the middle of the open stream.
    expect(env.faults.corruptWatches({ user: 'informer' })).to.equal(1);
    await changeWhileAway(f);
    await expectCaughtUp(f);
    const failures = await registry.getSingleMetricAsString('kubekit_informer_watch_failures_total');
    expect(failures).to.match(/reason="invalidResponse"\} 1/);
    expect(env.counters.count({ user: 'informer', verb: 'list' }), 'resumed, not relisted').to.equal(0);
    expect(env.counters.count({ user: 'informer', verb: 'watch' }), 'a new watch').to.be.greaterThan(0);
  });

  it('keeps a quiet watch open past its inactivity timeout thanks to bookmarks', async () => {
    const f = await seeded({ inactivityTimeoutMs: 300 });
    env.counters.reset();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await changeWhileAway(f);
    await expectCaughtUp(f);
    expect(env.counters.count({ user: 'informer', verb: 'watch' }), 'the same watch throughout').to.equal(0);
    expect(env.counters.count({ user: 'informer', verb: 'list' })).to.equal(0);
    expect(f.informer.lastResourceVersion()).to.be.a('string');
  });

  it('retries a server refusing it for 30 s with capped backoff (virtual time), then catches up', async () => {
    const clock = new FakeClock();
    const f = await seeded({ clock, backoff: {}, random: () => 0.5 }, { maxRetries: 0 });
    env.counters.reset();
    const down = env.faults.add({ user: 'informer', partition: true });
    await changeWhileAway(f);
    for (let elapsed = 0; elapsed < 30_000; elapsed += 200) {
      await clock.advance(200);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const attempts = env.counters.count({ user: 'informer' });
    // 800 ms × 1.5 doubling to 30 s: about six attempts in 30 s (each may be sent twice by the client).
    expect(attempts).to.be.within(3, 16);
    expect(f.informer.healthy()).to.equal(false);
    expect(f.informer.list(), 'it keeps serving the last good state').to.have.length(3);
    down.remove();
    await expectCaughtUp(f, { clock });
  });

  it('retries a server refusing connections (ECONNREFUSED) for 30 s with capped backoff (virtual time), then catches up', async () => {
    const front = await TcpFront.open(env.url);
    const original = env.kubeConfigFor('informer');
    const throughFront = new KubeConfig();
    throughFront.loadFromOptions({
      clusters: original.clusters.map((cluster) => ({
        ...cluster,
        server: `https://127.0.0.1:${String(front.port)}`,
      })),
      users: original.users,
      contexts: original.contexts,
      currentContext: original.currentContext,
    });
    const refused: unknown[] = [];
    const onConnectError = (message: unknown): void => {
      const { error } = message as { error?: { code?: string } };
      if (error?.code === 'ECONNREFUSED') refused.push(message);
    };
    diagnostics.subscribe('undici:client:connectError', onConnectError);
    try {
      const clock = new FakeClock();
      const f = await seeded({ clock, backoff: {}, random: () => 0.5 }, { maxRetries: 0 }, throughFront);
      await front.down();
      await changeWhileAway(f);
      for (let elapsed = 0; elapsed < 30_000; elapsed += 200) {
        await clock.advance(200);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      // 800 ms × 1.5 doubling to 30 s: about six attempts in 30 s (a refused connection may be tried
      // once more at once: nothing was sent).
      expect(refused.length, 'connections refused').to.be.within(3, 16);
      expect(f.informer.healthy()).to.equal(false);
      expect(f.informer.list(), 'it keeps serving the last good state').to.have.length(3);
      await front.up();
      await expectCaughtUp(f, { clock });
    } finally {
      diagnostics.unsubscribe('undici:client:connectError', onConnectError);
      await front.down();
    }
  });

  it('waits as long as a 429 Retry-After asks before watching again (virtual time)', async () => {
    const clock = new FakeClock();
    const f = await seeded({ clock, random: () => 0 }, { maxRetries: 0 });
    env.faults.add({ user: 'informer', verb: 'watch', error: { code: 429, retryAfterSeconds: 5 }, times: 1 });
    env.counters.reset();
    env.faults.dropWatches({ user: 'informer' });
    await eventually(
      () => env.counters.count({ user: 'informer', verb: 'watch' }) === 1,
      'the refused watch',
    );
    await changeWhileAway(f);
    await clock.advance(4_900);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(env.counters.count({ user: 'informer', verb: 'watch' }), 'no watch before Retry-After').to.equal(
      1,
    );
    await clock.advance(200);
    await expectCaughtUp(f, { clock });
  });
});

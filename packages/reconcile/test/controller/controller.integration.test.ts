import { expect } from 'chai';
import type { KubeObject } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import {
  cacheFor,
  controllerManagedBy,
  ExponentialRateLimiter,
  TerminalError,
  type Reconciler,
} from '@kubekit/reconcile';
import { eventually } from '../support/eventually.js';
import { FakeClock } from '../support/fake-clock.js';
import { keyOf, useOperatorFixture, type Call } from '../support/operator-fixture.js';

const configMaps = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const secrets = { apiVersion: 'v1', kind: 'Secret' } as const;

describe('Controller on envtest (integration)', function () {
  this.timeout(30_000);
  const env = useEnvtest();
  const operator = useOperatorFixture(env);

  it('reconciles after a create, an update and a delete, seeing each in the cache', async () => {
    const op = operator();
    const seen: string[] = [];
    const reconciler: Reconciler = {
      reconcile: (request) => {
        const object = cacheFor(op.manager).get<KubeObject & { data?: Record<string, string> }>({
          ...configMaps,
          ...request,
        });
        seen.push(`${request.name}:${object === undefined ? 'gone' : (object.data?.['v'] ?? '')}`);
        return Promise.resolve({});
      },
    };
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .complete(reconciler);
    op.start();
    await op.create('app', { v: '1' });
    await eventually(() => seen.includes('app:1'), 'the create is reconciled');
    await op.update('app', { v: '2' });
    await eventually(() => seen.includes('app:2'), 'the update is reconciled');
    await op.remove('app');
    await eventually(() => seen.includes('app:gone'), 'the delete is reconciled');
    expect(
      await op.metric('controller_runtime_reconcile_total', { controller: 'configmap', result: 'success' }),
    ).to.equal(seen.length);
    const time = await op.registry.getSingleMetric('controller_runtime_reconcile_time_seconds')?.get();
    const count = time?.values.find(
      (v) => (v as { metricName?: string }).metricName === 'controller_runtime_reconcile_time_seconds_count',
    );
    expect(count?.value).to.equal(seen.length);
  });

  it('queues the objects of the initial list below live changes', async () => {
    const op = operator();
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    for (let i = 0; i < 20; i++) await op.create(`old-${i}`);
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .complete({
        reconcile: async ({ name }) => {
          calls.push(name);
          if (calls.length === 1) await gate;
          return {};
        },
      });
    op.start();
    await eventually(() => calls.length === 1, 'the first reconcile began');
    const live = await op.create('live');
    const cache = cacheFor(op.manager);
    await eventually(
      () =>
        cache.get({ ...configMaps, namespace: env.namespace, name: 'live' })?.metadata?.resourceVersion ===
        live.metadata?.resourceVersion,
      'the cache saw the live change',
    );
    release();
    await eventually(() => calls.length === 21, 'everything reconciled');
    expect(calls[0]).to.match(/^old-/);
    expect(calls[1]).to.equal('live');
  });

  it('reconciles the controlling owner when an owned object changes, and no other owner', async () => {
    const op = operator();
    const calls: string[] = [];
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .owns({ ...secrets, namespace: env.namespace })
      .complete({
        reconcile: (request) => {
          calls.push(request.name);
          return Promise.resolve({});
        },
      });
    op.start();
    const owner = await op.create('owner');
    const other = await op.create('other');
    await eventually(() => calls.includes('owner') && calls.includes('other'), 'both owners reconciled once');
    const ownerRef = (o: typeof owner, controller: boolean) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: o.metadata?.name ?? '',
      uid: o.metadata?.uid ?? '',
      controller,
    });
    calls.length = 0;
    await op.admin.create({
      ...secrets,
      metadata: {
        name: 'owned',
        namespace: env.namespace,
        ownerReferences: [ownerRef(owner, true), ownerRef(other, false)],
      },
      stringData: { a: '1' },
    } as never);
    await eventually(
      () => calls.includes('owner'),
      'the create of the owned Secret reconciles its controller',
    );
    calls.length = 0;
    await op.admin.patch({ ...secrets, namespace: env.namespace, name: 'owned' }, { stringData: { a: '2' } });
    await eventually(
      () => calls.includes('owner'),
      'an update of the owned Secret reconciles its controller',
    );
    // Both events have been handled by now; the non-controller owner was never queued.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).to.not.include('other');
  });

  it('coalesces 100 updates of one object during a slow reconcile into one more reconcile', async () => {
    const op = operator();
    const calls: Call[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .complete({
        reconcile: async (request) => {
          const call: Call = { key: keyOf(request), at: performance.now() };
          calls.push(call);
          if (calls.length === 1) await gate;
          call.ended = performance.now();
          return {};
        },
      });
    op.start();
    await op.create('busy', { n: '0' });
    await eventually(() => calls.length === 1, 'the first reconcile began');
    let last = '';
    for (let n = 1; n <= 100; n++)
      last = (await op.update('busy', { n: String(n) })).metadata?.resourceVersion ?? '';
    const cache = cacheFor(op.manager);
    await eventually(
      () =>
        cache.get({ ...configMaps, namespace: env.namespace, name: 'busy' })?.metadata?.resourceVersion ===
        last,
      'the cache saw the 100th update',
    );
    release();
    await eventually(() => calls.length === 2 && calls[1]?.ended !== undefined, 'the second reconcile ended');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls.map((c) => c.key)).to.deep.equal([`${env.namespace}/busy`, `${env.namespace}/busy`]);
  });

  it('with 8 workers reconciles different objects in parallel and one object never concurrently', async () => {
    const op = operator();
    const inFlight = new Map<string, number>();
    let overlaps = 0;
    let parallel = 0;
    let reconciles = 0;
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .withOptions({ maxConcurrentReconciles: 8 })
      .complete({
        reconcile: async (request) => {
          const key = keyOf(request);
          const now = (inFlight.get(key) ?? 0) + 1;
          inFlight.set(key, now);
          if (now > 1) overlaps += 1;
          const total = [...inFlight.values()].reduce((a, b) => a + b, 0);
          parallel = Math.max(parallel, total);
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
          inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
          reconciles += 1;
          return {};
        },
      });
    op.start();
    const names = Array.from({ length: 10 }, (_, i) => `cm-${i}`);
    await Promise.all(names.map((name) => op.create(name)));
    for (let round = 0; round < 5; round++) {
      await Promise.all(names.map((name) => op.update(name, { round: String(round) })));
    }
    await eventually(
      () => reconciles >= 20 && [...inFlight.values()].every((n) => n === 0),
      'updates reconciled',
    );
    expect(overlaps).to.equal(0);
    expect(parallel).to.be.above(1);
    expect(parallel).to.be.at.most(8);
    expect(
      await op.metric('controller_runtime_max_concurrent_reconciles', { controller: 'configmap' }),
    ).to.equal(8);
    expect(await op.metric('controller_runtime_active_workers', { controller: 'configmap' })).to.equal(0);
  });

  it('retries an error with a growing delay and does not retry a TerminalError (virtual time)', async () => {
    const op = operator();
    const clock = new FakeClock();
    const flaky: number[] = [];
    const fatal: number[] = [];
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .withOptions({
        clock,
        rateLimiter: new ExponentialRateLimiter({ baseDelayMs: 5, maxDelayMs: 1_000_000 }),
      })
      .complete({
        reconcile: ({ name }) => {
          if (name === 'flaky') {
            flaky.push(clock.now());
            return Promise.reject(new Error('not yet'));
          }
          fatal.push(clock.now());
          return Promise.reject(new TerminalError('never', { cause: new Error('bad spec') }));
        },
      });
    op.start();
    await op.create('flaky');
    await op.create('fatal');
    await eventually(() => flaky.length === 1 && fatal.length === 1, 'both reconciled once');
    await eventually(() => flaky.length >= 6, 'flaky retried five times', { clock, stepMs: 1 });
    const start = flaky[0] ?? 0;
    const gaps = flaky.slice(1, 6).map((t, i) => t - (flaky[i] ?? start));
    expect(gaps).to.deep.equal([5, 10, 20, 40, 80]);
    await clock.advance(10_000);
    expect(fatal).to.have.length(1);
    const labels = { controller: 'configmap' };
    expect(await op.metric('controller_runtime_terminal_reconcile_errors_total', labels)).to.equal(1);
    expect(await op.metric('controller_runtime_reconcile_errors_total', labels)).to.equal(flaky.length + 1);
    expect(await op.metric('controller_runtime_reconcile_total', { ...labels, result: 'error' })).to.equal(
      flaky.length + 1,
    );
  });

  it('honours requeueAfter (virtual time)', async () => {
    const op = operator();
    const clock = new FakeClock();
    const calls: number[] = [];
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .withOptions({ clock })
      .complete({
        reconcile: () => {
          calls.push(clock.now());
          return Promise.resolve({ requeueAfter: 60_000 });
        },
      });
    op.start();
    await op.create('periodic');
    await eventually(() => calls.length === 1, 'the first reconcile');
    await clock.advance(59_999);
    expect(calls).to.have.length(1);
    await clock.advance(1);
    await eventually(() => calls.length === 2, 'the requeued reconcile');
    expect(calls[1]! - calls[0]!).to.equal(60_000);
    expect(
      await op.metric('controller_runtime_reconcile_total', {
        controller: 'configmap',
        result: 'requeue_after',
      }),
    ).to.be.at.least(1);
  });
});

import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '@kubekit/client';
import { Manager } from '@kubekit/manager';
import {
  channelSource,
  controllerManagedBy,
  createController,
  kindSource,
  observableSource,
  ReconcileError,
  requestSource,
  type Controller,
  type Request,
} from '@kubekit/reconcile';
import { Registry } from 'prom-client';
import { Subject } from 'rxjs';
import { eventually } from '../support/eventually.js';
import { FakeClock } from '../support/fake-clock.js';

function kubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return config;
}

function error(run: () => unknown): unknown {
  try {
    run();
  } catch (caught) {
    return caught;
  }
  return undefined;
}

const idle = { reconcile: () => Promise.resolve({}) };

describe('Controller', () => {
  let stop: AbortController;
  let running: Promise<void> | undefined;

  beforeEach(() => {
    stop = new AbortController();
  });

  afterEach(async () => {
    stop.abort();
    await running;
    running = undefined;
  });

  describe('createController', () => {
    it('rejects a bad name, worker count or timeout, and a reconciler without reconcile', () => {
      for (const options of [
        { name: 'bad name', reconciler: idle },
        { name: 'ok', reconciler: idle, maxConcurrentReconciles: 0 },
        { name: 'ok', reconciler: idle, maxConcurrentReconciles: 1.5 },
        { name: 'ok', reconciler: idle, reconcileTimeoutMs: -1 },
        { name: 'ok', reconciler: {} as never },
        { name: 'ok', reconciler: idle, priorityQueueMaxWaitMs: -1 },
        { name: 'ok', reconciler: idle, priorityQueueMaxWaitMs: Number.NaN },
        { name: 'ok', reconciler: idle, usePriorityQueue: false, priorityQueueMaxWaitMs: 5 },
      ]) {
        expect(
          ReconcileError.is(
            error(() => createController(options)),
            'invalidArgument',
          ),
        ).to.equal(true);
      }
    });

    it('rejects a kind source without a cache', () => {
      const controller = createController({ name: 'c', reconciler: idle });
      const caught = error(() => {
        controller.watch({ source: kindSource({ apiVersion: 'v1', kind: 'Pod' }) });
      });
      expect(ReconcileError.is(caught, 'invalidArgument')).to.equal(true);
      expect(String(caught)).to.match(/needs a cache/);
    });
  });

  describe('.start', () => {
    it('is leader-gated and restartable, and refuses a second start while running', async () => {
      const controller = createController({ name: 'c', reconciler: idle });
      expect(controller.needLeaderElection()).to.equal(true);
      expect(controller.restartable()).to.equal(true);
      running = controller.start(stop.signal);
      expect(controller.state).to.equal('running');
      try {
        await controller.start(stop.signal);
        expect.fail('second start resolved');
      } catch (caught) {
        expect(ReconcileError.is(caught, 'invalidState')).to.equal(true);
      }
      stop.abort();
      await running;
      expect(controller.state).to.equal('idle');
      // Restartable: a new run works after the first stopped.
      const again = new AbortController();
      const second = controller.start(again.signal);
      again.abort();
      await second;
    });

    it('aborts in-flight reconciles on abort and resolves only once they have returned', async () => {
      const requests = new Subject<Request>();
      let returnedAt = 0;
      let inFlight = 0;
      const controller = createController({
        name: 'c',
        maxConcurrentReconciles: 3,
        reconciler: {
          reconcile: async (_request, signal) => {
            inFlight += 1;
            await new Promise((resolve) => {
              signal.addEventListener('abort', resolve, { once: true });
            });
            await new Promise((resolve) => setTimeout(resolve, 20)); // cleaning up after the abort
            returnedAt = performance.now();
            inFlight -= 1;
            throw signal.reason;
          },
        },
      });
      controller.watch({ source: requestSource(requests) });
      running = controller.start(stop.signal);
      for (const name of ['a', 'b', 'c', 'd']) requests.next({ namespace: 'ns', name });
      await eventually(() => inFlight === 3, 'three workers are busy');
      stop.abort();
      await running;
      const resolvedAt = performance.now();
      expect(inFlight).to.equal(0);
      expect(resolvedAt).to.be.at.least(returnedAt);
      expect(requests.observed).to.equal(false); // unsubscribed
    });
  });

  describe('reconcileTimeoutMs', () => {
    it('aborts the reconcile signal after the timeout (virtual time) and retries it with backoff', async () => {
      const clock = new FakeClock();
      const requests = new Subject<Request>();
      const reasons: unknown[] = [];
      const at: number[] = [];
      const registry = new Registry();
      const controller = createController({
        name: 'slow',
        clock,
        metrics: registry,
        reconcileTimeoutMs: 1_000,
        reconciler: {
          reconcile: async (_request, signal) => {
            at.push(clock.now());
            await new Promise((resolve) => {
              signal.addEventListener('abort', resolve, { once: true });
            });
            reasons.push(signal.reason);
            throw signal.reason;
          },
        },
      });
      controller.watch({ source: requestSource(requests) });
      running = controller.start(stop.signal);
      requests.next({ namespace: '', name: 'x' });
      await eventually(() => at.length === 1, 'reconciling');
      await clock.advance(999);
      expect(reasons).to.have.length(0);
      await clock.advance(1);
      await eventually(() => reasons.length === 1, 'timed out');
      expect(ReconcileError.is(reasons[0], 'timeout')).to.equal(true);
      await eventually(() => at.length === 2, 'retried', { clock, stepMs: 1 });
      expect(at[1]).to.equal(1_005); // the first backoff step: 5 ms
      const errors = await registry.getSingleMetric('controller_runtime_reconcile_errors_total')?.get();
      expect(errors?.values.find((v) => v.labels['controller'] === 'slow')?.value).to.equal(1);
    });
  });

  describe('backoff', () => {
    it('starts again at the base delay after a success (virtual time, default rate limiter)', async () => {
      const clock = new FakeClock();
      const channel = new Subject<KubeObject>();
      // Fails 3 times, succeeds, then fails again.
      const outcomes = [false, false, false, true, false];
      const calls: number[] = [];
      const controller = createController({
        name: 'c',
        clock,
        reconciler: {
          reconcile: () => {
            const ok = outcomes[calls.length] ?? true;
            calls.push(clock.now());
            return ok ? Promise.resolve({}) : Promise.reject(new Error('not yet'));
          },
        },
      });
      controller.watch({ source: channelSource(channel) });
      running = controller.start(stop.signal);
      channel.next({ metadata: { namespace: 'ns', name: 'app' } });
      await eventually(() => calls.length === 1, 'the first reconcile');
      await eventually(() => calls.length === 4, 'three retries, the last succeeds', { clock, stepMs: 1 });
      const gaps = (from: number, to: number): number[] =>
        calls.slice(from + 1, to + 1).map((t, i) => t - (calls[from + i] ?? 0));
      expect(gaps(0, 3), 'failures back off 5, 10, 20 ms').to.deep.equal([5, 10, 20]);
      await clock.advance(1_000);
      expect(calls, 'a success is not retried').to.have.length(4);
      channel.next({ metadata: { namespace: 'ns', name: 'app' } });
      await eventually(() => calls.length === 5, 'the next change is reconciled');
      const failedAt = calls[4] ?? 0;
      await eventually(() => calls.length === 6, 'its failure is retried', { clock, stepMs: 1 });
      expect((calls[5] ?? 0) - failedAt, 'the backoff starts again at 5 ms, not 40').to.equal(5);
    });
  });

  describe('sources', () => {
    it('delivers objects of an Observable and a channel as generic events', async () => {
      const objects = new Subject<KubeObject>();
      const channel = new Subject<KubeObject>();
      const seen: string[] = [];
      const controller: Controller = createController({
        name: 'c',
        reconciler: {
          reconcile: ({ namespace, name }) => {
            seen.push(`${namespace}/${name}`);
            return Promise.resolve({});
          },
        },
      });
      controller.watch({ source: observableSource(objects) });
      controller.watch({ source: channelSource(channel) });
      running = controller.start(stop.signal);
      objects.next({ metadata: { namespace: 'a', name: 'one' } });
      channel.next({ metadata: { namespace: 'b', name: 'two' } });
      await eventually(() => seen.length === 2, 'both reconciled');
      expect(seen.sort()).to.deep.equal(['a/one', 'b/two']);
    });
  });
});

describe('controllerManagedBy', () => {
  const manager = (): Manager =>
    new Manager({ kubeConfig: kubeConfig(), leaderElection: false, registry: new Registry() });

  it('refuses a second controller of the same name in one manager, not in another', () => {
    const first = manager();
    controllerManagedBy(first).for({ apiVersion: 'v1', kind: 'ConfigMap' }).complete(idle);
    const caught = error(() =>
      controllerManagedBy(first).for({ apiVersion: 'v1', kind: 'ConfigMap' }).complete(idle),
    );
    expect(ReconcileError.is(caught, 'duplicateController')).to.equal(true);
    expect(String(caught)).to.match(/"configmap" exists already/);
    controllerManagedBy(first).named('other').for({ apiVersion: 'v1', kind: 'ConfigMap' }).complete(idle);
    controllerManagedBy(manager()).for({ apiVersion: 'v1', kind: 'ConfigMap' }).complete(idle);
  });

  it('needs a name or a for kind, and a for kind for owns', () => {
    expect(
      ReconcileError.is(
        error(() => controllerManagedBy(manager()).complete(idle)),
        'invalidArgument',
      ),
    ).to.equal(true);
    const owns = error(() =>
      controllerManagedBy(manager()).named('x').owns({ apiVersion: 'v1', kind: 'Secret' }).complete(idle),
    );
    expect(ReconcileError.is(owns, 'invalidArgument')).to.equal(true);
    const twice = error(() =>
      controllerManagedBy(manager())
        .for({ apiVersion: 'v1', kind: 'Secret' })
        .for({ apiVersion: 'v1', kind: 'Pod' }),
    );
    expect(ReconcileError.is(twice, 'invalidArgument')).to.equal(true);
  });
});

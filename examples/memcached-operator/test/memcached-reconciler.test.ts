import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { isNotFound, type KubeObject } from '@kubekit/client';
import type { Term } from '@kubekit/leaderelection';
import {
  createCache,
  createCachedClient,
  createEventRecorder,
  ReconcileError,
  TerminalError,
  type Cache,
  type CachedClient,
  type EventRecorder,
} from '@kubekit/reconcile';
import {
  MemcachedReconciler,
  memcachedApiVersion,
  memcachedFinalizer,
  memcachedKind,
  type Memcached,
} from '#lib/index.js';
import { eventually } from './eventually.js';
import { useMemcachedEnvtest } from './memcached-envtest.js';

/** A term that is over (or has `left` ms left): only what the reconciler reads of it. */
function termWith(left: number): Term {
  return {
    identity: 'replica-x',
    epoch: 7,
    isValid: () => left > 0,
    remainingMs: () => Math.max(0, left),
  } as Partial<Term> as Term;
}

/** An events.k8s.io/v1 Event as read back. */
interface EventV1 extends KubeObject {
  regarding?: { kind?: string; name?: string; uid?: string };
  reason?: string;
  type?: string;
  note?: string;
  reportingController?: string;
}

describe(MemcachedReconciler.name, () => {
  let cache: Cache;
  let cached: CachedClient;
  let events: EventRecorder;
  const stop = new AbortController();
  let running: Promise<unknown>;
  const cluster = useMemcachedEnvtest({
    beforeClose: async () => {
      stop.abort();
      await running;
      cached.close();
    },
  });
  const { env, ref, deploymentRef } = cluster;
  before(async () => {
    const client = cluster.client;
    // The informers the controller's `for` and `owns` would register.
    cache = createCache({ client });
    cache.informerFor({ apiVersion: memcachedApiVersion, kind: memcachedKind });
    cache.informerFor({ apiVersion: 'apps/v1', kind: 'Deployment' });
    cached = createCachedClient({ cache, client });
    events = createEventRecorder({ client, reportingController: 'cache.example.com/memcached-test' });
    running = Promise.all([cache.start(stop.signal), events.start(stop.signal)]);
    await cache.waitForCacheSync(stop.signal);
  });

  const signal = () => new AbortController().signal;
  async function createMemcached(name: string, size = 2): Promise<Memcached> {
    const created = await cluster.client.create<Memcached>({
      ...ref(name),
      metadata: { name, namespace: env.namespace },
      spec: { size },
    });
    await eventually(() => {
      expect(cache.get(ref(name))).to.not.equal(undefined);
      return Promise.resolve();
    });
    return created;
  }
  async function eventsAbout(name: string): Promise<EventV1[]> {
    const list = await cluster.client.list<EventV1>({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      namespace: env.namespace,
    });
    return list.items.filter((e) => e.regarding?.kind === memcachedKind && e.regarding.name === name);
  }
  async function expectNoDeployment(name: string): Promise<void> {
    try {
      await cluster.client.get(deploymentRef(name));
      expect.fail(`a Deployment ${name} was created outside the term`);
    } catch (error) {
      expect(isNotFound(error), String(error)).to.equal(true);
    }
  }

  describe('.reconcile', () => {
    it('writes nothing without a term (ReconcileError fenced)', async () => {
      const created = await createMemcached('leaderless');
      const reconciler = new MemcachedReconciler(cached, events);
      try {
        await reconciler.reconcile({ namespace: env.namespace, name: 'leaderless' }, signal(), {
          term: undefined,
        });
        expect.fail('reconcile wrote without a term');
      } catch (error) {
        expect(ReconcileError.is(error, 'fenced'), String(error)).to.equal(true);
      }
      const after = await cluster.client.get<Memcached>(ref('leaderless'));
      expect(after.metadata?.resourceVersion).to.equal(created.metadata?.resourceVersion);
      expect(after.metadata?.finalizers).to.equal(undefined);
      await expectNoDeployment('leaderless');
    });

    for (const [what, left] of [
      ['has ended', 0],
      ['has less than minTermLeftMs left', 20],
    ] as const) {
      it(`writes nothing when the term ${what} (ReconcileError fenced), and writes in a valid term`, async () => {
        const name = left === 0 ? 'ended' : 'short';
        const created = await createMemcached(name);
        const reconciler = new MemcachedReconciler(cached, events, { minTermLeftMs: 50 });
        const request = { namespace: env.namespace, name };
        try {
          await reconciler.reconcile(request, signal(), { term: termWith(left) });
          expect.fail('reconcile wrote with a term that allowed no write');
        } catch (error) {
          expect(ReconcileError.is(error, 'fenced'), String(error)).to.equal(true);
        }
        const after = await cluster.client.get<Memcached>(ref(name));
        expect(after.metadata?.resourceVersion).to.equal(created.metadata?.resourceVersion);
        await expectNoDeployment(name);

        // With a valid term the same request goes through.
        await reconciler.reconcile(request, signal(), { term: termWith(5_000) });
        expect((await cluster.client.get<Deployment>(deploymentRef(name))).spec?.replicas).to.equal(2);
      });
    }

    it('reads its own writes: a reconcile right after one that wrote finds nothing to do (no 409)', async () => {
      await createMemcached('ryw');
      // The cached client itself, its writes counted on the way through.
      const writes: string[] = [];
      const counted = new Proxy(cached, {
        get: (target, key) => {
          const value: unknown = Reflect.get(target, key);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]): unknown => {
            if (key !== 'get' && key !== 'list') writes.push(String(key));
            return Reflect.apply(value, target, args);
          };
        },
      });
      const reconciler = new MemcachedReconciler(counted, events);
      const request = { namespace: env.namespace, name: 'ryw' };
      const term = termWith(5_000);
      // The first pass writes the finalizer, the Deployment and the condition; the second starts
      // at once, when the informers need not have delivered those writes yet: read from the cache
      // as it is, it would write the finalizer again on the old version (409 Conflict).
      await reconciler.reconcile(request, signal(), { term });
      expect(writes).to.deep.equal(['update', 'create', 'updateStatus']);
      await reconciler.reconcile(request, signal(), { term });
      expect(writes).to.have.length(3);
      const memcached = await cluster.client.get<Memcached>(ref('ryw'));
      expect(memcached.metadata?.finalizers).to.deep.equal([memcachedFinalizer]);
      expect(memcached.status?.conditions?.[0]?.reason).to.equal('DeploymentUnavailable');
    });

    it('records Events on the Memcached: DeploymentCreated, then ScaledDeployment', async () => {
      const created = await createMemcached('evented', 1);
      const reconciler = new MemcachedReconciler(cached, events);
      const request = { namespace: env.namespace, name: 'evented' };
      const term = termWith(5_000);
      await reconciler.reconcile(request, signal(), { term });
      const first = await eventually(async () => {
        const found = (await eventsAbout('evented')).find((e) => e.reason === 'DeploymentCreated');
        if (found === undefined) throw new Error('no DeploymentCreated Event yet');
        return found;
      });
      expect(first).to.include({
        type: 'Normal',
        note: 'created Deployment evented with 1 replicas',
        reportingController: 'cache.example.com/memcached-test',
      });
      expect(first.regarding?.uid).to.equal(created.metadata?.uid);

      await cluster.client.patch(ref('evented'), { spec: { size: 3 } });
      await eventually(async () => {
        expect((await cached.get<Memcached>(ref('evented')))?.spec?.size).to.equal(3);
      });
      await reconciler.reconcile(request, signal(), { term });
      expect((await cluster.client.get<Deployment>(deploymentRef('evented'))).spec?.replicas).to.equal(3);
      const scaled = await eventually(async () => {
        const found = (await eventsAbout('evented')).find((e) => e.reason === 'ScaledDeployment');
        if (found === undefined) throw new Error('no ScaledDeployment Event yet');
        return found;
      });
      expect(scaled).to.include({ type: 'Normal', note: 'scaled Deployment evented from 1 to 3 replicas' });
    });

    it('records a Warning and does not retry when a Deployment of that name is not its own', async () => {
      await cluster.client.create<Deployment>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'taken', namespace: env.namespace },
        spec: {
          selector: { matchLabels: { app: 'other' } },
          template: {
            metadata: { labels: { app: 'other' } },
            spec: { containers: [{ name: 'other', image: 'other:1' }] },
          },
        },
      });
      await eventually(() => {
        expect(cache.get(deploymentRef('taken'))).to.not.equal(undefined);
        return Promise.resolve();
      });
      await createMemcached('taken');
      const reconciler = new MemcachedReconciler(cached, events);
      try {
        await reconciler.reconcile({ namespace: env.namespace, name: 'taken' }, signal(), {
          term: termWith(5_000),
        });
        expect.fail('reconciled a Memcached whose Deployment is not its own');
      } catch (error) {
        expect(TerminalError.is(error), String(error)).to.equal(true);
      }
      const warning = await eventually(async () => {
        const found = (await eventsAbout('taken')).find((e) => e.reason === 'DeploymentNotOwned');
        if (found === undefined) throw new Error('no DeploymentNotOwned Event yet');
        return found;
      });
      expect(warning.type).to.equal('Warning');
    });

    it('reconciles regardless of a recorder that throws (Events are informational)', async () => {
      await createMemcached('unrecorded');
      let calls = 0;
      const throwing = {
        ...events,
        event: () => {
          calls += 1;
          throw new Error('recorder broken');
        },
      } as EventRecorder;
      const reconciler = new MemcachedReconciler(cached, throwing);
      await reconciler.reconcile({ namespace: env.namespace, name: 'unrecorded' }, signal(), {
        term: termWith(5_000),
      });
      expect(calls).to.equal(1); // DeploymentCreated
      expect((await cluster.client.get<Deployment>(deploymentRef('unrecorded'))).spec?.replicas).to.equal(2);
    });
  });
});

describe('main', () => {
  const main = fileURLToPath(
    new URL('../src/main.js', import.meta.url).href.replace('/dist-test/', '/dist/'),
  );

  it('exits 2 with the usage on a bad argument, before connecting anywhere', () => {
    const result = spawnSync(process.execPath, [main, '--lease-duration=soon'], { encoding: 'utf8' });
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain('--lease-duration must be a positive number of milliseconds, not soon');
    expect(result.stderr).to.contain('memcached-operator [options]');
  });
});

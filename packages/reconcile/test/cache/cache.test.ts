import { expect } from 'chai';
import { createClient, type KubeClient, type KubeObject } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import { needsLeaderElection } from '@kubekit/manager';
import { createCache, ReconcileError, type Cache } from '@kubekit/reconcile';
import { eventually } from '../support/eventually.js';

const configMaps = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

describe('Cache', () => {
  const env = useEnvtest();
  let client: KubeClient;
  let cache: Cache;
  let controller: AbortController;
  let running: Promise<void> | undefined;

  beforeEach(() => {
    client = createClient({ kubeConfig: env.kubeConfig, metrics: null, rateLimit: false });
    cache = createCache({ client });
    controller = new AbortController();
  });

  afterEach(async () => {
    controller.abort();
    await running;
    running = undefined;
    await client.close(false);
  });

  async function seed(): Promise<void> {
    for (const [name, app] of [
      ['web-1', 'web'],
      ['web-2', 'web'],
      ['db-1', 'db'],
    ] as const) {
      await client.create({ ...configMaps, metadata: { name, namespace: env.namespace, labels: { app } } });
    }
  }

  it('serves get and list from one informer per kind and scope, shared by every consumer', async () => {
    await seed();
    const informer = cache.informerFor({ ...configMaps, namespace: env.namespace });
    expect(cache.informerFor({ ...configMaps, namespace: env.namespace })).to.equal(informer);
    running = cache.start(controller.signal);
    expect(await cache.waitForCacheSync()).to.equal(true);

    expect(cache.get({ ...configMaps, namespace: env.namespace, name: 'web-1' })?.metadata?.name).to.equal(
      'web-1',
    );
    expect(cache.get({ ...configMaps, namespace: env.namespace, name: 'missing' })).to.equal(undefined);
    expect(cache.list(configMaps, { namespace: env.namespace })).to.have.length(3);
    const web = cache.list(configMaps, { namespace: env.namespace, labels: 'app=web' });
    expect(web.map((o) => o.metadata?.name).sort()).to.deep.equal(['web-1', 'web-2']);
    const notWeb = cache.list(configMaps, {
      labels: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] },
      namespace: env.namespace,
    });
    expect(notWeb.map((o) => o.metadata?.name)).to.deep.equal(['db-1']);
    expect(cache.needLeaderElection()).to.equal(false);
    // Runnables in the Manager's sense that run on every replica, so caches warm up on followers.
    expect(needsLeaderElection(cache)).to.equal(false);
    expect(needsLeaderElection(informer)).to.equal(false);
    expect(cache.healthy()).to.equal(true);
  });

  it('refuses to read a kind no informer was registered for, instead of starting one', async () => {
    running = cache.start(controller.signal);
    expect(() =>
      cache.get({ apiVersion: 'v1', kind: 'Secret', namespace: env.namespace, name: 'x' }),
    ).to.throw(ReconcileError, /no informer for v1\/Secret/);
    try {
      cache.list({ apiVersion: 'v1', kind: 'Secret' });
      expect.fail('list of an unregistered kind returned');
    } catch (error) {
      expect(ReconcileError.is(error, 'noInformer')).to.equal(true);
    }
    expect(() => cache.events({ apiVersion: 'v1', kind: 'Secret' })).to.throw(/no informer/);
    expect(env.counters.count({ resource: 'secrets' })).to.equal(0);
    await Promise.resolve();
  });

  it('starts informers registered while it runs, and refuses reads before they sync', async () => {
    running = cache.start(controller.signal);
    const informer = cache.informerFor({ ...configMaps, namespace: env.namespace });
    try {
      cache.list(configMaps, { namespace: env.namespace });
      // Syncing in the same tick is impossible: the list needs a round trip.
      expect.fail('read before sync returned');
    } catch (error) {
      expect(ReconcileError.is(error, 'notSynced')).to.equal(true);
    }
    expect(await informer.waitForSync()).to.equal(true);
    expect(cache.list(configMaps, { namespace: env.namespace })).to.deep.equal([]);
  });

  it('lists by owner UID through the built-in index', async () => {
    const owner: KubeObject = await client.create({
      ...configMaps,
      metadata: { name: 'owner', namespace: env.namespace },
    });
    await client.create({
      ...configMaps,
      metadata: {
        name: 'owned',
        namespace: env.namespace,
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' },
        ],
      },
    });
    cache.informerFor(configMaps);
    running = cache.start(controller.signal);
    await cache.waitForCacheSync();
    const owned = cache.list(configMaps, { index: { name: 'ownerUid', value: owner.metadata?.uid ?? '' } });
    expect(owned.map((o) => o.metadata?.name)).to.deep.equal(['owned']);
  });

  it('rejects a second registration of a scope with other indexes', () => {
    cache.informerFor(configMaps, { indexers: { a: () => [] } });
    expect(() => cache.informerFor(configMaps, { indexers: { b: () => [] } })).to.throw(/other options/);
  });

  it('delivers events of a registered scope', async () => {
    const scope = { ...configMaps, namespace: env.namespace };
    cache.informerFor(scope);
    const names: string[] = [];
    const subscription = cache
      .events(scope)
      .subscribe((e) => names.push(`${e.type} ${e.object.metadata?.name ?? ''}`));
    running = cache.start(controller.signal);
    await cache.waitForCacheSync();
    await client.create({ ...configMaps, metadata: { name: 'new', namespace: env.namespace } });
    await eventually(() => names.length === 1, 'one event');
    subscription.unsubscribe();
    expect(names).to.deep.equal(['add new']);
  });

  it('rejects a second start', async () => {
    running = cache.start(controller.signal);
    try {
      await cache.start(controller.signal);
      expect.fail('second start resolved');
    } catch (error) {
      expect(ReconcileError.is(error, 'invalidState')).to.equal(true);
    }
  });
});

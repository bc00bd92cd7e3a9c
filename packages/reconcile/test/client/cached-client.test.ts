import { expect } from 'chai';
import type { KubeClient, KubeObject } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import { compareResourceVersions, ReconcileError, type Cache, type CachedClient } from '@kubekit/reconcile';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { useCachedClient } from '../support/cached-client-fixture.js';
import { eventually } from '../support/eventually.js';

const configMaps = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const deployments = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;

/** `actual` is at least `written` (both integers on envtest). */
function atLeast(actual: KubeObject | undefined, written: KubeObject): boolean {
  const order = compareResourceVersions(actual?.metadata?.resourceVersion, written.metadata?.resourceVersion);
  return order !== undefined && order >= 0;
}

describe('CachedClient', function () {
  this.timeout(30_000);
  const env = useEnvtest();
  let client: KubeClient;
  let cache: Cache;
  let cached: CachedClient;
  const startCachedClient = useCachedClient(env);

  /** Starts a cache with informers for ConfigMaps and Deployments of the test namespace. */
  async function start(options: { inactivityTimeoutMs?: number; timeoutMs?: number } = {}): Promise<void> {
    ({ client, cache, cached } = await startCachedClient(
      [
        { ...configMaps, namespace: env.namespace },
        { ...deployments, namespace: env.namespace },
      ],
      { ...options, fieldManager: 'ryw-test' },
    ));
  }

  function configMap(name: string, data: Record<string, string> = {}): ConfigMap {
    return { ...configMaps, metadata: { name, namespace: env.namespace }, data };
  }

  function ref(name: string): { apiVersion: 'v1'; kind: 'ConfigMap'; namespace: string; name: string } {
    return { ...configMaps, namespace: env.namespace, name };
  }

  function deployment(name: string): Deployment {
    const labels = { app: name };
    return {
      ...deployments,
      metadata: { name, namespace: env.namespace },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    };
  }

  describe('reads its own writes at once', () => {
    it('after create, update and the three kinds of patch', async () => {
      await start();
      const created = await cached.create(configMap('a', { v: '1' }));
      expect((await cached.get<ConfigMap>(ref('a')))?.data).to.deep.equal({ v: '1' });

      const updated = await cached.update({ ...created, data: { v: '2' } });
      const afterUpdate = await cached.get<ConfigMap>(ref('a'));
      expect(afterUpdate?.data).to.deep.equal({ v: '2' });
      expect(atLeast(afterUpdate, updated)).to.equal(true);

      const merged = await cached.patch(ref('a'), { data: { v: '3' } });
      expect((await cached.get<ConfigMap>(ref('a')))?.data?.['v']).to.equal('3');
      expect(atLeast(await cached.get(ref('a')), merged)).to.equal(true);

      await cached.patch(ref('a'), [{ op: 'replace', path: '/data/v', value: '4' }], { type: 'json' });
      expect((await cached.get<ConfigMap>(ref('a')))?.data?.['v']).to.equal('4');

      await cached.patch(ref('a'), { data: { w: '5' } }, { type: 'strategic' });
      expect((await cached.get<ConfigMap>(ref('a')))?.data).to.deep.equal({ v: '4', w: '5' });
    });

    it('after server-side apply, with the client fieldManager or a given one and force', async () => {
      await start();
      await cached.apply(configMap('applied', { owner: 'first' }));
      expect((await cached.get<ConfigMap>(ref('applied')))?.data).to.deep.equal({ owner: 'first' });
      const stored = await client.get(ref('applied'));
      expect(stored.metadata?.managedFields?.map((f) => f.manager)).to.include('ryw-test');

      // Another manager takes the field: a conflict without force, applied with it.
      const other = { ...configMap('applied', { owner: 'second' }) };
      let conflict: unknown;
      await cached.apply(other, { fieldManager: 'other' }).catch((error: unknown) => (conflict = error));
      expect(conflict).to.have.property('code', 409);
      await cached.apply(other, { fieldManager: 'other', force: true });
      expect((await cached.get<ConfigMap>(ref('applied')))?.data).to.deep.equal({ owner: 'second' });
    });

    it('after updateStatus and patchStatus', async () => {
      await start();
      const created = await cached.create(deployment('web'));
      const withStatus = await cached.updateStatus<Deployment>({
        ...created,
        status: { observedGeneration: 1, replicas: 1, readyReplicas: 1 },
      });
      const read = await cached.get<Deployment>({ ...deployments, namespace: env.namespace, name: 'web' });
      expect(read?.status?.readyReplicas).to.equal(1);
      expect(atLeast(read, withStatus)).to.equal(true);

      await cached.patchStatus(
        { ...deployments, namespace: env.namespace, name: 'web' },
        {
          status: { readyReplicas: 0, unavailableReplicas: 1 },
        },
      );
      const patched = await cached.get<Deployment>({ ...deployments, namespace: env.namespace, name: 'web' });
      expect(patched?.status?.unavailableReplicas).to.equal(1);
    });

    it('after delete: gone, or still there with its deletionTimestamp while a finalizer holds it', async () => {
      await start();
      await cached.create(configMap('doomed'));
      expect(await cached.get(ref('doomed'))).not.to.equal(undefined);
      await cached.delete(ref('doomed'));
      expect(await cached.get(ref('doomed'))).to.equal(undefined);

      await cached.create({
        ...configMap('held'),
        metadata: { ...configMap('held').metadata, finalizers: ['x/y'] },
      });
      const answer = await cached.delete(ref('held'));
      expect(answer).to.have.nested.property('metadata.deletionTimestamp');
      const held = await cached.get(ref('held'));
      expect(held?.metadata?.deletionTimestamp).to.be.a('string');
      await cached.patch(ref('held'), { metadata: { finalizers: null } });
      expect(await cached.get(ref('held'))).to.equal(undefined);
    });

    it('after delete and create again under the same name: the new object', async () => {
      await start();
      const first = await cached.create(configMap('again', { n: '1' }));
      await cached.delete(ref('again'), { preconditions: { uid: first.metadata?.uid ?? '' } });
      const second = await cached.create(configMap('again', { n: '2' }));
      const read = await cached.get(ref('again'));
      expect(read?.metadata?.uid).to.equal(second.metadata?.uid);
    });

    it('in a list right after creates', async () => {
      await start();
      for (let i = 0; i < 10; i++) await cached.create(configMap(`item-${String(i)}`));
      const listed = await cached.list(configMaps, { namespace: env.namespace });
      expect(listed.map((o) => o.metadata?.name).sort()).to.deep.equal(
        Array.from({ length: 10 }, (_, i) => `item-${String(i)}`).sort(),
      );
      await cached.delete(ref('item-3'));
      const after = await cached.list(configMaps, { namespace: env.namespace });
      expect(after.map((o) => o.metadata?.name)).not.to.include('item-3');
    });

    it('with concurrent writers: every writer reads at least its own write', async () => {
      await start();
      await cached.create(configMap('shared', { n: '0' }));
      const results = await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          const name = `own-${String(i)}`;
          const own = await cached.create(configMap(name, { i: String(i) }));
          const write = await cached.patch(ref('shared'), { data: { [`w${String(i)}`]: String(i) } });
          const [mine, shared] = await Promise.all([cached.get(ref(name)), cached.get(ref('shared'))]);
          return mine?.metadata?.uid === own.metadata?.uid && atLeast(shared, write);
        }),
      );
      expect(results).to.deep.equal(Array.from({ length: 16 }, () => true));
      const shared = await cached.get<ConfigMap>(ref('shared'));
      expect(Object.keys(shared?.data ?? {})).to.have.length(17);
      expect(await cached.list(configMaps, { namespace: env.namespace })).to.have.length(17);
    });

    it('returns copies: changing what a read returned does not change the cache', async () => {
      await start();
      await cached.create(configMap('copy', { v: '1' }));
      const read = await cached.get<ConfigMap>(ref('copy'));
      const data = read?.data;
      if (data === undefined) throw new Error('the ConfigMap has no data');
      data['v'] = 'changed';
      expect((await cached.get<ConfigMap>(ref('copy')))?.data?.['v']).to.equal('1');
    });
  });

  describe('when the cache is behind', () => {
    it('waits for the informer: a read during a stalled watch resolves once the watch resumes', async () => {
      await start({ inactivityTimeoutMs: 2000, timeoutMs: 15_000 });
      // Right after the sync the watch may not be open yet: stall it once it is.
      await eventually(() => env.faults.stallWatches({ resource: 'configmaps' }) > 0, 'a watch is stalled');
      const written = await cached.create(configMap('late', { v: '1' }));
      // The informer sees nothing until its inactivity timeout resumes the watch.
      expect(cache.get(ref('late'))).to.equal(undefined);
      const read = await cached.get(ref('late'));
      expect(read?.metadata?.uid).to.equal(written.metadata?.uid);
    });

    it('fails with staleCache after its bound, never with a stale read, when the watch is stalled', async () => {
      await start({ timeoutMs: 300 });
      await cached.create(configMap('stuck', { v: '1' }));
      expect(await cached.get(ref('stuck'))).not.to.equal(undefined);
      expect(env.faults.stallWatches({ resource: 'configmaps' })).to.be.greaterThan(0);
      await cached.patch(ref('stuck'), { data: { v: '2' } });
      let error: unknown;
      await cached.get(ref('stuck')).catch((e: unknown) => (error = e));
      expect(ReconcileError.is(error, 'staleCache'), String(error)).to.equal(true);
      expect((error as Error).message).to.match(/stuck.*resourceVersion \d+.*within 300 ms.*retried/s);
      let listError: unknown;
      await cached
        .list(configMaps, { namespace: env.namespace, timeoutMs: 50 })
        .catch((e: unknown) => (listError = e));
      expect(ReconcileError.is(listError, 'staleCache')).to.equal(true);
      // Another object, not written by this client, is read at once from the cache.
      expect(await cached.get(ref('never-written'))).to.equal(undefined);
    });

    it('stops waiting when the caller aborts, with the signal reason', async () => {
      await start();
      await eventually(() => env.faults.stallWatches({ resource: 'configmaps' }) > 0, 'a watch is stalled');
      await cached.create(configMap('aborted'));
      const abort = new AbortController();
      const reading = cached.get(ref('aborted'), { signal: abort.signal });
      const reason = new Error('reconcile cancelled');
      abort.abort(reason);
      let error: unknown;
      await reading.catch((e: unknown) => (error = e));
      expect(error).to.equal(reason);
    });
  });

  describe('kinds without an informer', () => {
    it('refuses reads with noInformer and never starts an informer; writes do not wait', async () => {
      await start();
      const secrets = { apiVersion: 'v1', kind: 'Secret' } as const;
      let error: unknown;
      await cached
        .get({ ...secrets, namespace: env.namespace, name: 'x' })
        .catch((e: unknown) => (error = e));
      expect(ReconcileError.is(error, 'noInformer')).to.equal(true);
      await cached.list(secrets).catch((e: unknown) => (error = e));
      expect(ReconcileError.is(error, 'noInformer')).to.equal(true);
      expect(cache.informersOf(secrets)).to.have.length(0);
      const secret = await cached.create({ ...secrets, metadata: { name: 's', namespace: env.namespace } });
      expect((secret as KubeObject).metadata?.uid).to.be.a('string');
      expect(cache.informersOf(secrets)).to.have.length(0);
    });
  });
});

import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { ReconcileError, type CachedClient, type InformerScope } from '@kubekit/reconcile';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { useCachedClient } from '../support/cached-client-fixture.js';
import { eventually } from '../support/eventually.js';

const configMaps = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

/** Read-your-writes at the edges of an informer's scope, on envtest. */
describe('CachedClient at the edges of a scope', function () {
  this.timeout(30_000);
  const env = useEnvtest();
  let cached: CachedClient | undefined;
  /** The cached client of the running test. */
  const rw = (): CachedClient => {
    if (cached === undefined) throw new Error('start() first');
    return cached;
  };
  const startCachedClient = useCachedClient(env);

  async function start(
    scopes: readonly Partial<InformerScope>[],
    options: { inactivityTimeoutMs?: number; timeoutMs?: number } = {},
  ): Promise<void> {
    ({ cached } = await startCachedClient(
      scopes.map((scope) => ({ ...configMaps, namespace: env.namespace, ...scope })),
      options,
    ));
  }

  function configMap(name: string, labels: Record<string, string>): ConfigMap {
    return { ...configMaps, metadata: { name, namespace: env.namespace, labels }, data: {} };
  }

  function ref(name: string): { apiVersion: 'v1'; kind: 'ConfigMap'; namespace: string; name: string } {
    return { ...configMaps, namespace: env.namespace, name };
  }

  it('a list by label right after this client relabelled an object out of the selector does not return it', async () => {
    await start([{ labelSelector: 'tier=web' }], { inactivityTimeoutMs: 1500, timeoutMs: 15_000 });
    await rw().create(configMap('moved', { tier: 'web' }));
    const before = await rw().list(configMaps, { namespace: env.namespace, labelSelector: 'tier=web' });
    expect(before.map((o) => o.metadata?.name)).to.deep.equal(['moved']);
    // The informer sees nothing until its inactivity timeout resumes the watch.
    await eventually(() => env.faults.stallWatches({ resource: 'configmaps' }) > 0, 'a watch is stalled');
    await rw().patch(ref('moved'), { metadata: { labels: { tier: 'batch' } } });
    const after = await rw().list(configMaps, { namespace: env.namespace, labelSelector: 'tier=web' });
    expect(
      after.map((o) => `${o.metadata?.name ?? ''} ${o.metadata?.labels?.['tier'] ?? ''}`),
      'the object this client moved out of the selector',
    ).to.deep.equal([]);
  });

  it('a get through a label-selected informer that cannot hold the written object answers at once', async () => {
    // Two label-selected informers: a get reads the first, which never holds a tier=batch object.
    await start([{ labelSelector: 'tier=web' }, { labelSelector: 'tier=batch' }], { timeoutMs: 2000 });
    await rw().create(configMap('elsewhere', { tier: 'batch' }));
    let error: unknown;
    const read = await rw()
      .get(ref('elsewhere'))
      .catch((e: unknown) => (error = e));
    expect(ReconcileError.is(error, 'staleCache'), String(error)).to.equal(false);
    expect(read).to.equal(undefined);
  });

  it('a get right after deleting a cluster-scoped object through a ref that names a namespace does not return it', async () => {
    const nodes = { apiVersion: 'v1', kind: 'Node' } as const;
    ({ cached } = await startCachedClient([nodes], { inactivityTimeoutMs: 1500, timeoutMs: 15_000 }));
    const name = `node-${env.namespace}`;
    await rw().create({ ...nodes, metadata: { name } });
    expect((await rw().get({ ...nodes, name }))?.metadata?.name).to.equal(name);
    await eventually(() => env.faults.stallWatches({ resource: 'nodes' }) > 0, 'a watch is stalled');
    // The client ignores the namespace of a cluster-scoped kind (so does the cache's get).
    await rw().delete({ ...nodes, namespace: env.namespace, name });
    expect(await rw().get({ ...nodes, namespace: env.namespace, name }), 'read with the namespace').to.equal(
      undefined,
    );
    expect(await rw().get({ ...nodes, name }), 'read without it').to.equal(undefined);
  });

  it('a read after a write that the informer only learns by a relist (410 on resume) sees it, and a deletion too', async () => {
    await start([{}], { inactivityTimeoutMs: 60_000, timeoutMs: 15_000 });
    await rw().create(configMap('kept', { v: '1' }));
    await rw().create(configMap('dropped', {}));
    await eventually(() => env.faults.stallWatches({ resource: 'configmaps' }) > 0, 'a watch is stalled');
    const written = await rw().patch(ref('kept'), { metadata: { labels: { v: '2' } } });
    await rw().delete(ref('dropped'));
    env.cluster.compact(); // the resume from the informer's last version answers 410: it lists again
    expect(env.faults.dropWatches({ resource: 'configmaps' })).to.be.greaterThan(0);
    const read = await rw().get(ref('kept'));
    expect(read?.metadata?.resourceVersion).to.equal(written.metadata?.resourceVersion);
    const names = (await rw().list(configMaps, { namespace: env.namespace })).map((o) => o.metadata?.name);
    expect(names).to.deep.equal(['kept']);
  });

  it('rejects a per-read timeoutMs that is not a number >= 0 instead of waiting without end', async () => {
    await start([{}], { inactivityTimeoutMs: 60_000 });
    await eventually(() => env.faults.stallWatches({ resource: 'configmaps' }) > 0, 'a watch is stalled');
    await rw().create(configMap('nan', {}));
    const abort = new AbortController();
    const guard = setTimeout(() => {
      abort.abort(new Error('still waiting after 3 s'));
    }, 3000);
    let error: unknown;
    await rw()
      .get(ref('nan'), { timeoutMs: Number.NaN, signal: abort.signal })
      .catch((e: unknown) => (error = e));
    clearTimeout(guard);
    expect(ReconcileError.is(error, 'invalidArgument'), String(error)).to.equal(true);
    // Also with nothing to wait for, and in a list.
    let unwritten: unknown;
    await rw()
      .get(ref('never-written'), { timeoutMs: -1 })
      .catch((e: unknown) => (unwritten = e));
    expect(ReconcileError.is(unwritten, 'invalidArgument'), String(unwritten)).to.equal(true);
    let listed: unknown;
    await rw()
      .list(configMaps, { namespace: env.namespace, timeoutMs: Number.NaN })
      .catch((e: unknown) => (listed = e));
    expect(ReconcileError.is(listed, 'invalidArgument'), String(listed)).to.equal(true);
  });
});

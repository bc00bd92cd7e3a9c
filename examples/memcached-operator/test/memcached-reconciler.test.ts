import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createClient, isNotFound, type KubeClient } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import type { Term } from '@kubekit/leaderelection';
import { createCache, type Cache } from '@kubekit/reconcile';
import {
  MemcachedReconciler,
  memcachedApiVersion,
  memcachedCrd,
  memcachedKind,
  OperatorError,
  type Memcached,
} from '#lib/index.js';
import { eventually } from './eventually.js';

/** A term that is over (or has `left` ms left): only what the reconciler reads of it. */
function termWith(left: number): Term {
  return {
    identity: 'replica-x',
    epoch: 7,
    isValid: () => left > 0,
    remainingMs: () => Math.max(0, left),
  } as Partial<Term> as Term;
}

describe(MemcachedReconciler.name, () => {
  const env = useEnvtest({ gcDelayMs: 0 });
  let client: KubeClient;
  let cache: Cache;
  const stopCache = new AbortController();
  let caching: Promise<void>;
  before(async () => {
    client = createClient({ kubeConfig: env.kubeConfig, metrics: null });
    await client.create(memcachedCrd());
    // The informers the controller's `for` and `owns` would register.
    cache = createCache({ client });
    cache.informerFor({ apiVersion: memcachedApiVersion, kind: memcachedKind });
    cache.informerFor({ apiVersion: 'apps/v1', kind: 'Deployment' });
    caching = cache.start(stopCache.signal);
    await cache.waitForCacheSync(stopCache.signal);
  });
  after(async () => {
    stopCache.abort();
    await caching;
    await client.close();
  });

  const ref = (name: string) => ({
    apiVersion: memcachedApiVersion,
    kind: memcachedKind,
    namespace: env.namespace,
    name,
  });

  describe('.reconcile', () => {
    it('writes nothing when this replica does not lead (no term)', async () => {
      await client.create<Memcached>({
        ...ref('leaderless'),
        metadata: { name: 'leaderless', namespace: env.namespace },
      });
      await eventually(() => {
        expect(cache.get(ref('leaderless'))).to.not.equal(undefined);
        return Promise.resolve();
      });
      const reconciler = new MemcachedReconciler(cache, client, { current: () => undefined });
      try {
        await reconciler.reconcile(
          { namespace: env.namespace, name: 'leaderless' },
          new AbortController().signal,
        );
        expect.fail('reconcile wrote without a term');
      } catch (error) {
        expect(OperatorError.is(error, 'fenced'), String(error)).to.equal(true);
      }
      expect((await client.get<Memcached>(ref('leaderless'))).metadata?.finalizers).to.equal(undefined);
    });

    for (const [what, left] of [
      ['has ended', 0],
      ['has less than minTermLeftMs left', 20],
    ] as const) {
      it(`writes nothing when the term ${what} (OperatorError fenced)`, async () => {
        const created = await client.create<Memcached>({
          apiVersion: memcachedApiVersion,
          kind: memcachedKind,
          metadata: { name: 'fenced', namespace: env.namespace },
          spec: { size: 2 },
        });
        let term = termWith(left);
        const reconciler = new MemcachedReconciler(
          cache,
          client,
          { current: () => term },
          { minTermLeftMs: 50 },
        );
        const request = { namespace: env.namespace, name: 'fenced' };
        await eventually(() => {
          expect(cache.get(ref('fenced'))).to.not.equal(undefined);
          return Promise.resolve();
        });
        try {
          await reconciler.reconcile(request, new AbortController().signal);
          expect.fail('reconcile wrote with a term that allowed no write');
        } catch (error) {
          expect(OperatorError.is(error, 'fenced'), String(error)).to.equal(true);
        }
        const after = await client.get<Memcached>(ref('fenced'));
        expect(after.metadata?.resourceVersion).to.equal(created.metadata?.resourceVersion);
        try {
          await client.get({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            namespace: env.namespace,
            name: 'fenced',
          });
          expect.fail('a Deployment was created outside the term');
        } catch (error) {
          expect(isNotFound(error)).to.equal(true);
        }

        // With a valid term the same request goes through.
        term = termWith(5_000);
        await reconciler.reconcile(request, new AbortController().signal);
        await client.get({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: env.namespace,
          name: 'fenced',
        });
      });
    }
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

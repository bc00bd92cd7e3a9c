import { createClient, type KubeClient } from '@kubekit/client';
import type { CacheRunnable, Manager } from '@kubekit/manager';
import type { Cache, CacheOptions } from '../cache/cache.js';
import { createCache } from '../cache/informer-cache.js';

const caches = new WeakMap<Manager, Cache>();

/** Options of {@link cacheFor}, used only by the call that creates the manager's cache. */
export type ManagerCacheOptions = Partial<CacheOptions>;

/**
 * The one shared {@link Cache} of `manager`: created on the first call (with a `@kubekit/client`
 * over the manager's KubeConfig, its metrics in the manager's registry, unless `options.client` is
 * given) and added to the manager as a cache runnable, so it runs on every replica and the manager
 * waits for it to sync before the campaign. Later calls return the same cache (their options are
 * not used). A client the cache created is closed when the cache stops.
 */
export function cacheFor(manager: Manager, options: ManagerCacheOptions = {}): Cache {
  const existing = caches.get(manager);
  if (existing !== undefined) return existing;
  let owned: KubeClient | undefined;
  const client =
    options.client ??
    (owned = createClient({ kubeConfig: manager.getKubeConfig(), metrics: manager.getRegistry() }));
  const cache = createCache({ metrics: manager.getRegistry(), ...options, client });
  const runnable: CacheRunnable & { needLeaderElection(): false } = {
    start: async (signal) => {
      try {
        await cache.start(signal);
      } finally {
        await owned?.close(false);
      }
    },
    waitForCacheSync: (signal) => cache.waitForCacheSync(signal),
    needLeaderElection: () => false,
  };
  manager.add(runnable, { name: 'cache' });
  manager.addReadyzCheck('cache', () => {
    cache.checkHealth();
  });
  caches.set(manager, cache);
  return cache;
}

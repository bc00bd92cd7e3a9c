import { createClient, type KubeClient, type ObjectClient } from '@kubekit/client';
import type { CacheRunnable, Manager } from '@kubekit/manager';
import type { Cache, CacheOptions } from '../cache/cache.js';
import type { CachedClient, CachedClientOptions } from '../client/cached-client.js';
import { createCachedClient } from '../client/default-cached-client.js';
import { createCache } from '../cache/informer-cache.js';
import { ReconcileError } from '../reconcile-error.js';

const caches = new WeakMap<Manager, Cache>();
const clients = new WeakMap<Manager, ObjectClient>();
const cachedClients = new WeakMap<Manager, CachedClient>();

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
  registerCache(manager, cache, owned, client);
  return cache;
}

/**
 * The client of `manager`'s shared cache ({@link cacheFor}; created with it if need be): a
 * `@kubekit/client` over the manager's KubeConfig, for writes. Closed when the cache stops.
 */
export function clientFor(manager: Manager): ObjectClient {
  cacheFor(manager);
  const client = clients.get(manager);
  if (client === undefined) {
    throw new ReconcileError(
      'invalidState',
      "this manager's cache was registered without its client (registerCache); use that client",
    );
  }
  return client;
}

/** Options of {@link cachedClientFor}, used only by the call that creates the manager's cached client. */
export type ManagerCachedClientOptions = Omit<CachedClientOptions, 'cache' | 'client'>;

/**
 * The cached client of `manager`, with read-your-writes: reads from {@link cacheFor}`(manager)`,
 * writes through {@link clientFor}`(manager)`. Created on the first call (later calls return the
 * same client; their options are not used), so every reconciler of the manager that uses it
 * reads its own writes and those of the others.
 */
export function cachedClientFor(manager: Manager, options: ManagerCachedClientOptions = {}): CachedClient {
  const existing = cachedClients.get(manager);
  if (existing !== undefined) return existing;
  const cached = createCachedClient({ ...options, cache: cacheFor(manager), client: clientFor(manager) });
  cachedClients.set(manager, cached);
  return cached;
}

/**
 * Makes `cache` the shared cache of `manager` (what {@link cacheFor} returns) and adds it to the
 * manager; `ownedClient`, if given, is closed when the cache stops; `client` (default `ownedClient`)
 * is what {@link clientFor} returns. For the DI module.
 * @throws ReconcileError `invalidState` when the manager has a cache already.
 */
export function registerCache(
  manager: Manager,
  cache: Cache,
  ownedClient?: KubeClient,
  client: ObjectClient | undefined = ownedClient,
  cachedClient?: CachedClient,
): void {
  if (caches.has(manager)) {
    throw new ReconcileError('invalidState', 'this manager has its shared cache already');
  }
  const runnable: CacheRunnable & { needLeaderElection(): false } = {
    start: async (signal) => {
      try {
        await cache.start(signal);
      } finally {
        await ownedClient?.close(false);
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
  if (client !== undefined) clients.set(manager, client);
  if (cachedClient !== undefined) cachedClients.set(manager, cachedClient);
}

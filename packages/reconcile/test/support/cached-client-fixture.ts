import { expect } from 'chai';
import { createClient, type KubeClient } from '@kubekit/client';
import type { TestEnvtest } from '@kubekit/envtest/testing';
import {
  createCache,
  createCachedClient,
  type Cache,
  type CachedClient,
  type InformerScope,
} from '@kubekit/reconcile';

/** What `start` of {@link useCachedClient} made for the running test. */
export interface CachedClientParts {
  readonly client: KubeClient;
  readonly cache: Cache;
  readonly cached: CachedClient;
}

export interface CachedClientStartOptions {
  /** The cache's `inactivityTimeoutMs`. */
  readonly inactivityTimeoutMs?: number;
  /** The cached client's `readYourWritesTimeoutMs`. */
  readonly timeoutMs?: number;
  readonly fieldManager?: string;
}

/**
 * Mocha helper: call inside a `describe`, after `useEnvtest()`. Returns `start(scopes, options)`,
 * which makes a client on `env`, a cache (backoff 20–200 ms) with one informer a scope, and a
 * CachedClient over both, starts the cache and resolves once it has synced. Closes and stops them
 * after each test.
 */
export function useCachedClient(
  env: Pick<TestEnvtest, 'kubeConfig'>,
): (scopes: readonly InformerScope[], options?: CachedClientStartOptions) => Promise<CachedClientParts> {
  let controller: AbortController;
  let parts: CachedClientParts | undefined;
  let running: Promise<void> | undefined;

  beforeEach(() => {
    controller = new AbortController();
  });

  afterEach(async () => {
    parts?.cached.close();
    controller.abort();
    await running;
    running = undefined;
    await parts?.client.close(false);
    parts = undefined;
  });

  return async (scopes, options = {}) => {
    if (parts !== undefined) throw new Error('useCachedClient: start() once a test');
    const client = createClient({ kubeConfig: env.kubeConfig, metrics: null, rateLimit: false });
    const cache = createCache({
      client,
      backoff: { initialMs: 20, maxMs: 200 },
      ...(options.inactivityTimeoutMs !== undefined && { inactivityTimeoutMs: options.inactivityTimeoutMs }),
    });
    for (const scope of scopes) cache.informerFor(scope);
    const cached = createCachedClient({
      cache,
      client,
      ...(options.fieldManager !== undefined && { fieldManager: options.fieldManager }),
      ...(options.timeoutMs !== undefined && { readYourWritesTimeoutMs: options.timeoutMs }),
    });
    parts = { client, cache, cached };
    running = cache.start(controller.signal);
    expect(await cache.waitForCacheSync()).to.equal(true);
    return parts;
  };
}

import { createClient, type KubeClient } from '@kubekit/client';
import { useEnvtest, type TestEnvtest } from '@kubekit/envtest/testing';
import { memcachedApiVersion, memcachedCrd, memcachedKind } from '#lib/index.js';

/** An object of the test's namespace. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** What {@link useMemcachedEnvtest} gives a suite. */
export interface MemcachedEnvtest {
  readonly env: TestEnvtest;
  /** An admin client of the suite's server, from its `before` to its `after` hook. */
  readonly client: KubeClient;
  /** The Memcached `name` in the test's namespace. */
  readonly ref: (name: string) => ObjectRef;
  /** The Deployment `name` in the test's namespace. */
  readonly deploymentRef: (name: string) => ObjectRef;
}

/**
 * Mocha helper: call inside a `describe`. An envtest that collects garbage at once, with the
 * Memcached CRD installed and an admin client (`before`); in `after`, awaits `beforeClose` (what
 * the suite started on the client) and closes the client.
 */
export function useMemcachedEnvtest(
  options: { readonly beforeClose?: () => Promise<void> } = {},
): MemcachedEnvtest {
  const env = useEnvtest({ gcDelayMs: 0 });
  let client: KubeClient | undefined;
  before(async () => {
    client = createClient({ kubeConfig: env.kubeConfig, metrics: null });
    await client.create(memcachedCrd());
  });
  after(async () => {
    await options.beforeClose?.();
    await client?.close();
  });
  return {
    env,
    get client() {
      if (client === undefined)
        throw new Error('useMemcachedEnvtest: the client exists only inside the suite');
      return client;
    },
    ref: (name) => ({ apiVersion: memcachedApiVersion, kind: memcachedKind, namespace: env.namespace, name }),
    deploymentRef: (name) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: env.namespace, name }),
  };
}

import { createClient } from '@kubekit/client';
import type { ClientOptions, KubeClient } from '@kubekit/client';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * For a `describe` block: a function that creates a client of `env`'s admin user (no metrics, no
 * rate limit, then `options`); every client it made is closed after each test.
 */
export function useClients(env: {
  readonly kubeConfig: KubeConfig;
}): (options?: Partial<ClientOptions>) => KubeClient {
  const clients: KubeClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close(false)));
  });
  return (options = {}) => {
    const created = createClient({ kubeConfig: env.kubeConfig, metrics: null, rateLimit: false, ...options });
    clients.push(created);
    return created;
  };
}

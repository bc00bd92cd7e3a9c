import { createClient } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import type { KubeConfig } from '@kubernetes/client-node';

/** Options of {@link sharedClient}. */
export interface SharedClientOptions {
  /** How long one authentication (an exec plugin) may take, in ms. Default 5000. */
  readonly authTimeoutMs?: number;
}

/** How long a lock's watch may go without data before it ends quietly (as client-node 2.0.1's `Watch`). */
export const lockWatchInactivityMs = 30_000;

/**
 * The most HTTP/1.1 connections for requests (watches get their own). Without a limit, renews that
 * fire together open a connection each: 1,000 electors kept ~470 TLS connections, and undici scans
 * all of a pool's connections whenever one closes. Over HTTP/2 the requests share one connection
 * and the watches another (up to 1000 streams each: 1,000 electors keep 2).
 */
const requestConnections = 128;

const clients = new WeakMap<KubeConfig, KubeClient>();

/**
 * The `@kubekit/client` every lock, Event recorder and leader-for-life elector built from
 * `kubeConfig` talks through (the same one for the same object), so that 1,000 electors built
 * from one KubeConfig share connections and authentication. Configured for leader election: no
 * client-side rate limit (a renew must never queue behind other requests), no retries of its own
 * (429 and 5xx go back to the elector, which retries on its own schedule), no request metrics
 * (the elector counts its requests in `leader_election_*` metrics), authentication bounded by 5 s,
at most 128 HTTP/1.1 connections for requests (more wait for a free one; watches are not limited).
 * A 401 still authenticates afresh and sends the request once more, and a write marked
 * `idempotent` (a compare-and-swap) is sent once more when its connection broke. `options` apply
 * only when this call creates the client. Idle connections close after 30 s; the client is never
 * closed explicitly (it lives as long as `kubeConfig`).
 */
export function sharedClient(kubeConfig: KubeConfig, options: SharedClientOptions = {}): KubeClient {
  let client = clients.get(kubeConfig);
  if (client === undefined) {
    client = createClient({
      kubeConfig,
      rateLimit: false,
      maxRetries: 0,
      metrics: null,
      authTimeoutMs: options.authTimeoutMs ?? 5_000,
      userAgent: 'kubekit-leaderelection',
      watchInactivityTimeoutMs: lockWatchInactivityMs,
      connections: requestConnections,
    });
    clients.set(kubeConfig, client);
  }
  return client;
}

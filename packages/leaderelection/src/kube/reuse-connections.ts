import type { KubeConfig, RequestContext } from '@kubernetes/client-node';

/** What client-node's request context carries as its undici dispatcher. */
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

const views = new WeakMap<KubeConfig, KubeConfig>();
const pools = new WeakMap<KubeConfig, Map<string, Dispatcher>>();

/**
 * A view of `kubeConfig` whose requests reuse keep-alive connections. client-node 2.0.1 builds a
 * new undici Agent for every request, so each one opens a new TLS connection (with a new secure
 * context); for an elector that renews every retryPeriod that is most of its CPU. The view lets
 * client-node authenticate each request as usual (headers, exec plugins, token refresh) and then
 * replaces the per-request dispatcher with one kept per cluster and user, as client-node's own
 * https.Agent cache does. Everything else reads through to `kubeConfig`. The same view is
 * returned for the same KubeConfig, so all locks built from it share connections; idle ones are
 * closed by the dispatcher's keep-alive timeout.
 */
export function reuseConnections(kubeConfig: KubeConfig): KubeConfig {
  const existing = views.get(kubeConfig);
  if (existing !== undefined) return existing;
  const pool = new Map<string, Dispatcher>();
  pools.set(kubeConfig, pool);
  const view = Object.create(kubeConfig) as KubeConfig;
  view.applySecurityAuthentication = async (context: RequestContext): Promise<void> => {
    await kubeConfig.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return;
    const key = JSON.stringify([
      kubeConfig.getCurrentCluster()?.name ?? '',
      kubeConfig.getCurrentUser()?.name ?? '',
    ]);
    const pooled = pool.get(key);
    if (pooled === undefined) pool.set(key, fresh);
    else context.setDispatcher(pooled);
  };
  views.set(kubeConfig, view);
  return view;
}

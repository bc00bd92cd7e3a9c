import { KubeConfig } from '@kubernetes/client-node';

/** What a kubeconfig of the server is made of. */
export interface KubeconfigSource {
  readonly url: string;
  /** PEM CA certificate; undefined for a plain-HTTP server. */
  readonly caCert: string | undefined;
  /** User name → bearer token; `admin` first. */
  readonly tokens: ReadonlyMap<string, string>;
}

export const CLUSTER_NAME = 'envtest';

/**
 * A kubeconfig file (JSON, which every YAML reader accepts): one cluster with the CA, one user
 * and one context per user, named after the user; the `current` user's context is current.
 */
export function kubeconfigDocument(source: KubeconfigSource, current = 'admin'): Record<string, unknown> {
  const cluster: Record<string, string> = { server: source.url };
  if (source.caCert !== undefined)
    cluster['certificate-authority-data'] = Buffer.from(source.caCert).toString('base64');
  const users = [...source.tokens.keys()];
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CLUSTER_NAME, cluster }],
    users: users.map((name) => ({ name, user: { token: source.tokens.get(name) } })),
    contexts: users.map((name) => ({
      name,
      context: { cluster: CLUSTER_NAME, user: name, namespace: 'default' },
    })),
    'current-context': current,
    preferences: {},
  };
}

/** A client-node KubeConfig that acts as `user` (whose token must be in `source`). */
export function kubeConfigOf(source: KubeconfigSource, user: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: CLUSTER_NAME,
        server: source.url,
        skipTLSVerify: false,
        ...(source.caCert === undefined ? {} : { caData: Buffer.from(source.caCert).toString('base64') }),
      },
    ],
    users: [{ name: user, token: source.tokens.get(user) ?? '' }],
    contexts: [{ name: user, cluster: CLUSTER_NAME, user, namespace: 'default' }],
    currentContext: user,
  });
  return kubeConfig;
}

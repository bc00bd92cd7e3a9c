import type { Envtest, EnvtestOptions } from './envtest.js';
import { EnvtestServer } from './envtest-server.js';

/**
 * Starts an embedded Kubernetes API server on loopback (HTTPS with a fresh CA unless
 * `insecure`), with the namespaces `default`, `kube-system`, `kube-public` and `kube-node-lease`.
 * Resolves once it accepts connections; call `stop()` when done, or the process stays alive.
 * @throws EnvtestError `invalidOptions` for bad options, `startFailed` when it cannot listen.
 */
export async function startEnvtest(options: EnvtestOptions = {}): Promise<Envtest> {
  const server = new EnvtestServer(options);
  await server.start();
  return server;
}

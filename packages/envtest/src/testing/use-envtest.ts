import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterControl, Envtest, EnvtestOptions, FaultInjector, RequestCounters } from '../envtest.js';
import { EnvtestError } from '../envtest-error.js';
import { startEnvtest } from '../start-envtest.js';

/** The server of a mocha suite, with the namespace of the running test. */
export interface TestEnvtest extends Envtest {
  /** A namespace created for the current test (in `beforeEach`), deleted after it. */
  readonly namespace: string;
}

/** Options of `useEnvtest`. */
export interface UseEnvtestOptions extends EnvtestOptions {
  /** Prefix of the per-test namespace names. Default `test`. */
  readonly namespacePrefix?: string;
}

let counter = 0;

/**
 * Mocha helper: call inside a `describe`. Starts one server for the suite (`before`) and stops it
 * (`after`); before each test it clears faults, resets counters and creates a fresh namespace,
 * which it deletes after the test. The returned object is usable inside tests and hooks only.
 *
 * @example
 * describe('my controller', () => {
 *   const env = useEnvtest();
 *   it('creates a lease', async () => {
 *     const api = env.kubeConfig.makeApiClient(CoordinationV1Api);
 *     await api.createNamespacedLease({ namespace: env.namespace, body: { metadata: { name: 'x' } } });
 *   });
 * });
 */
export function useEnvtest(options: UseEnvtestOptions = {}): TestEnvtest {
  let server: Envtest | undefined;
  let namespace: string | undefined;
  const { namespacePrefix = 'test', ...envtestOptions } = options;

  const current = (): Envtest => {
    if (!server)
      throw new EnvtestError(
        'notRunning',
        'useEnvtest: the server runs only inside the tests and hooks of its suite',
      );
    return server;
  };

  before(async function () {
    server = await startEnvtest(envtestOptions);
  });

  after(async function () {
    const stopping = server;
    server = undefined;
    await stopping?.stop();
  });

  beforeEach(async function () {
    const env = current();
    env.faults.clear();
    env.counters.reset();
    counter += 1;
    namespace = await env.cluster.createNamespace(
      `${namespacePrefix}-${counter}-${randomBytes(3).toString('hex')}`,
    );
  });

  afterEach(async function () {
    const env = server;
    const finished = namespace;
    namespace = undefined;
    env?.faults.clear();
    if (env && finished) await env.cluster.deleteNamespace(finished);
  });

  return {
    get namespace(): string {
      if (namespace === undefined)
        throw new EnvtestError('notRunning', 'useEnvtest: env.namespace exists only inside a test');
      return namespace;
    },
    get url(): string {
      return current().url;
    },
    get kubeConfig(): KubeConfig {
      return current().kubeConfig;
    },
    get faults(): FaultInjector {
      return current().faults;
    },
    get counters(): RequestCounters {
      return current().counters;
    },
    get cluster(): ClusterControl {
      return current().cluster;
    },
    get protocols(): readonly ('h2' | 'http/1.1')[] {
      return current().protocols;
    },
    connectionStats: () => current().connectionStats(),
    kubeConfigFor: (user) => current().kubeConfigFor(user),
    addUser: (user) => {
      current().addUser(user);
    },
    writeKubeconfig: (path) => current().writeKubeconfig(path),
    stop: () => current().stop(),
  };
}

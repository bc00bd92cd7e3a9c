import { createClient } from '@kubekit/client';
import type { KubeConfig } from '@kubernetes/client-node';
import type { TestEnvtest } from '@kubekit/envtest/testing';
import { Manager, type ManagerOptions } from '@kubekit/manager';
import type { Request } from '@kubekit/reconcile';
import { Registry } from 'prom-client';
import { ConfigMapWriter } from './config-map-writer.js';

/** One reconcile a test reconciler saw: the request, when it began and ended (`performance.now()`). */
export interface Call {
  readonly key: string;
  readonly at: number;
  ended?: number;
}

/** A Manager on envtest with a registry of its own, started on demand and stopped after the test. */
export class OperatorFixture extends ConfigMapWriter {
  readonly manager: Manager;
  readonly registry = new Registry();
  readonly #stop = new AbortController();
  #done: Promise<unknown> | undefined;
  outcome: unknown;

  constructor(kubeConfig: KubeConfig, namespace: string, options: Partial<ManagerOptions> = {}) {
    super(createClient({ kubeConfig, metrics: null, rateLimit: false }), namespace);
    this.manager = new Manager({
      kubeConfig,
      registry: this.registry,
      leaderElection: false,
      gracefulShutdownTimeout: 10_000,
      ...options,
    });
  }

  start(): void {
    this.#done = this.manager.start(this.#stop.signal).then(
      () => (this.outcome = 'resolved'),
      (error: unknown) => (this.outcome = error),
    );
  }

  /** Resolves once `start` has settled. */
  get done(): Promise<unknown> {
    return this.#done ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
    await this.admin.close(false);
  }

  /** The value of a counter or gauge series in the registry (0 when absent). */
  async metric(name: string, labels: Record<string, string>): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (metric === undefined) return 0;
    const { values } = await metric.get();
    const found = values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l));
    return found?.value ?? 0;
  }
}

/**
 * Mocha helper: call inside a `describe`, after `useEnvtest()`. Makes an {@link OperatorFixture} on
 * `env` and its test namespace before each test and stops it after the test; returns a getter for
 * the running test's fixture (usable inside tests only).
 */
export function useOperatorFixture(
  env: Pick<TestEnvtest, 'kubeConfig' | 'namespace'>,
  options: Partial<ManagerOptions> = {},
): () => OperatorFixture {
  let current: OperatorFixture | undefined;
  beforeEach(() => {
    current = new OperatorFixture(env.kubeConfig, env.namespace, options);
  });
  afterEach(async () => {
    const fixture = current;
    current = undefined;
    await fixture?.stop();
  });
  return () => {
    if (current === undefined) throw new Error('useOperatorFixture: the fixture exists only inside a test');
    return current;
  };
}

/** `namespace/name` of a request. */
export function keyOf(request: Request): string {
  return `${request.namespace}/${request.name}`;
}

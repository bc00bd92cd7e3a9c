import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { systemClock, type Clock } from '../clock.js';
import { createLeaseElector } from '../election/create-lease-elector.js';
import { LeaderElectionError } from '../leader-election-error.js';
import { createLeaderForLifeElector } from '../lifelong/leader-for-life-elector.js';
import type { Logger } from '../logger.js';
import type { ElectCliOptions } from './elect-cli-options.js';
import type { CliElector } from './elect-cli.js';

/** Where the CLI reads its environment from; the bin passes the process's own. */
export interface CliEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock;
  /** Where the Pod's namespace is read from when `--namespace` is not given (tests). */
  readonly namespaceFile?: string;
}

/** Loads the kubeconfig the options name (or the default one) and switches to `--context`. */
export function loadKubeConfig(options: ElectCliOptions): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    if (options.kubeconfig === undefined) kubeConfig.loadFromDefault();
    else kubeConfig.loadFromFile(options.kubeconfig);
  } catch (error) {
    throw new LeaderElectionError(
      'invalidConfig',
      `cannot load the kubeconfig ${options.kubeconfig ?? '(default)'}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (options.context !== undefined) {
    if (kubeConfig.getContextObject(options.context) === null) {
      throw new LeaderElectionError(
        'invalidConfig',
        `the kubeconfig has no context ${JSON.stringify(options.context)}; it has ${kubeConfig.contexts.map((c) => c.name).join(', ') || 'none'}`,
      );
    }
    kubeConfig.setCurrentContext(options.context);
  }
  if (kubeConfig.getCurrentCluster() === null) {
    throw new LeaderElectionError(
      'invalidConfig',
      'no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG, or run in a Pod with a service account',
    );
  }
  return kubeConfig;
}

/** A logger that turns every warning and error into the CLI's `error` event. */
function eventLogger(onError: (message: string) => void): Logger {
  const report = (fields: object, message: string): void => {
    const cause = (fields as { err?: unknown }).err;
    onError(
      cause instanceof Error && !message.includes(cause.message) ? `${message}: ${cause.message}` : message,
    );
  };
  return { debug: () => undefined, info: () => undefined, warn: report, error: report };
}

/**
 * Builds the elector `kubekit-elect` runs: a `LeaseElector` on a Lease or ConfigMap, or a
 * leader-for-life elector, with what the CLI needs to bound its command's life by the term's.
 */
export function createCliElector(
  options: ElectCliOptions,
  onError: (message: string) => void,
  environment: CliEnvironment,
): CliElector {
  const kubeConfig = loadKubeConfig(options);
  const clock = environment.clock ?? systemClock;
  const logger = eventLogger(onError);
  const location = {
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(environment.namespaceFile === undefined ? {} : { namespaceFile: environment.namespaceFile }),
  };

  if (options.lock === 'leader-for-life') {
    const elector = createLeaderForLifeElector({
      kubeConfig,
      lockName: options.name,
      clock,
      env: environment.env,
      ...location,
    });
    elector.errors$.subscribe((error) => {
      onError(error.message);
    });
    return {
      elector,
      // A leader-for-life lock is held until the Pod is gone; a restarted process in the same Pod
      // is leader again at once. There is nothing to release.
      setReleaseOnStop: () => undefined,
      released: () => false,
      now: () => clock.now(),
      // A lost term's exclusiveUntil() is the moment of loss: another Pod may lead already.
      driftMarginMs: 0,
      drainMs: options.renewDeadlineMs,
    };
  }

  const leaseDuration = options.leaseDurationMs;
  const renewDeadline = options.renewDeadlineMs;
  const elector = createLeaseElector({
    kubeConfig,
    name: options.name,
    lockKind: options.lock,
    leaseDuration,
    renewDeadline,
    retryPeriod: options.retryPeriodMs,
    releaseOnCancel: options.releaseOnCancel,
    // The CLI kills its command before this ends, and releases only once it is dead.
    drainTimeout: renewDeadline,
    watch: options.watch,
    clock,
    logger,
    registry: new Registry(),
    ...(options.identity === undefined ? {} : { identity: options.identity }),
    ...location,
  });
  return {
    elector,
    setReleaseOnStop: (release) => {
      elector.setReleaseOnCancel(release);
    },
    released: () => elector.released,
    now: () => clock.now(),
    // A follower whose clock runs at ours acquires leaseDuration after it saw our last renew
    // (exclusiveUntil); keep half of the slack between renewDeadline and leaseDuration for clock
    // drift and latency.
    driftMarginMs: (leaseDuration - renewDeadline) / 2,
    // The elector's drain timeout (its default): the command is killed before it ends.
    drainMs: renewDeadline,
  };
}

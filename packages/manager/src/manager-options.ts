import type { KubeConfig } from '@kubernetes/client-node';
import type {
  Clock,
  CreateLeaseElectorOptions,
  Elector,
  LeaderForLifeOptions,
  Logger,
} from '@kubekit/leaderelection';
import type { Registry } from 'prom-client';

/**
 * Lease election through `createLeaseElector`: every option of it (`name`, `namespace`,
 * `identity`, `leaseDuration`, `renewDeadline`, `retryPeriod`, `releaseOnCancel`, `drainTimeout`,
 * `requestTimeout`, `lockKind: 'configmaps'`, …) passes through unchanged. The manager fills in
 * `kubeConfig`, `registry`, `logger` and `clock` from its own options when they are absent, and
 * `releaseOnCancel` defaults to **true** (the manager drains leader-gated work before the elector
 * stops, so releasing is safe; client-go's default is false).
 */
export type LeaseElectionOptions = { readonly kind?: 'lease' } & Omit<
  CreateLeaseElectorOptions,
  'kubeConfig'
> & {
    readonly kubeConfig?: KubeConfig;
  };

/**
 * Leader-for-life election through `createLeaderForLifeElector`: every option of it passes
 * through unchanged (`lockName`, `namespace`, `podName`, timings, …). The manager fills in
 * `kubeConfig`, `registry`, `logger` and `clock` when they are absent.
 */
export type LeaderForLifeElectionOptions = { readonly kind: 'leader-for-life' } & LeaderForLifeOptions;

/** What to do when leadership is lost while the manager runs. */
export type LeadershipLostPolicy = 'exit' | 'recampaign';

/** Options of {@link Manager} and `createManager`. Durations are in milliseconds. */
export interface ManagerOptions {
  /** Cluster access. Default: `KubeConfig.loadFromDefault()` (`KUBECONFIG`, `~/.kube/config`, in-cluster), loaded when first needed. */
  readonly kubeConfig?: KubeConfig;
  /**
   * `false` (default): no election, leader-gated runnables start with the others (in a term that
   * lasts as long as the manager). Lease options, leader-for-life options, or any `Elector` that
   * has not been run yet (the manager runs it, and must use the same clock as the manager).
   */
  readonly leaderElection?: false | LeaseElectionOptions | LeaderForLifeElectionOptions | Elector;
  /**
   * After a loss: `exit` (default) stops the manager, `start()` rejects with `ManagerError` kind
   * `leadershipLost`; `recampaign` keeps campaigning and starts the leader-gated runnables again in
   * the next term (they must be restartable: `runnable()`, `fromFactory()`, or `restartable()`).
   */
  readonly onLeadershipLost?: LeadershipLostPolicy;
  /**
   * How long shutdown waits for runnables to stop, all groups together. Default 30 000;
   * 0: do not wait; `Infinity`: wait for ever.
   */
  readonly gracefulShutdownTimeout?: number;
  /** Where `/healthz` and `/readyz` listen: `:8081`, `127.0.0.1:8081`, `0` (ephemeral). Default: off. */
  readonly healthProbeBindAddress?: string;
  /** Where `/metrics` listens: `:8080`, `127.0.0.1:8080`, `0` (ephemeral). Default: off. */
  readonly metricsBindAddress?: string;
  /** prom-client registry shared by the manager, its elector and controllers. Default: prom-client's global registry. */
  readonly registry?: Registry;
  /** Default: logs nothing. */
  readonly logger?: Logger;
  /** Monotonic time and timers (tests: a virtual clock). Default `systemClock`. */
  readonly clock?: Clock;
}

import type { KubeConfig } from '@kubernetes/client-node';
import {
  createLeaderForLifeElector,
  createLeaseElector,
  LeaderElectionError,
  type Clock,
  type Elector,
  type Logger,
} from '@kubekit/leaderelection';
import type { Registry } from 'prom-client';
import { ManagerError } from '../manager-error.js';
import type { ManagerOptions } from '../manager-options.js';
import { SoleElector } from './sole-elector.js';

/** What the manager lends the electors it builds. */
export interface ElectorDefaults {
  readonly kubeConfig: () => KubeConfig;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** True when `value` looks like an `Elector` (rather than options to build one). */
export function isElector(value: unknown): value is Elector {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Elector>).run === 'function' &&
    typeof (value as Partial<Elector>).whenLeading === 'function' &&
    typeof (value as Partial<Elector>).leadership$ === 'object'
  );
}

/**
 * The elector the options ask for. @throws ManagerError `invalidConfig` (with the elector's
 * `LeaderElectionError` as cause) for invalid timings, a missing namespace or Pod name, etc.
 */
export function createElector(option: ManagerOptions['leaderElection'], defaults: ElectorDefaults): Elector {
  if (option === undefined || option === false) return new SoleElector(defaults.clock);
  if (isElector(option)) return option;
  try {
    if (option.kind === 'leader-for-life') {
      const { kind: _kind, ...options } = option;
      return createLeaderForLifeElector({
        registry: defaults.registry,
        logger: defaults.logger,
        clock: defaults.clock,
        ...options,
        kubeConfig: options.kubeConfig ?? defaults.kubeConfig(),
      });
    }
    const kind: string | undefined = option.kind;
    if (kind !== undefined && kind !== 'lease') {
      throw new ManagerError(
        'invalidConfig',
        `leaderElection.kind "${kind}" is unknown: use "lease" (the default) or "leader-for-life"`,
      );
    }
    const { kind: _kind, ...options } = option;
    return createLeaseElector({
      registry: defaults.registry,
      logger: defaults.logger,
      clock: defaults.clock,
      releaseOnCancel: true,
      ...options,
      kubeConfig: options.kubeConfig ?? defaults.kubeConfig(),
    });
  } catch (error: unknown) {
    if (ManagerError.is(error)) throw error;
    if (LeaderElectionError.is(error)) {
      throw new ManagerError('invalidConfig', `leaderElection: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

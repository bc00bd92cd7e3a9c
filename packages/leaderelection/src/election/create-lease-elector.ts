import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigMapLock } from '../locks/config-map-lock.js';
import { LeaseLock } from '../locks/lease-lock.js';
import { LeaseElector } from './lease-elector.js';
import type { LeaseElectorOptions } from './lease-elector-options.js';

/** Options of {@link createLeaseElector}: the lock's and the elector's in one object. */
export interface CreateLeaseElectorOptions extends Omit<LeaseElectorOptions, 'lock'> {
  readonly kubeConfig: KubeConfig;
  /** The lock object's name. */
  readonly name: string;
  /** Default: the Pod's namespace (service-account file); neither → `noNamespace` error. */
  readonly namespace?: string;
  /**
   * Which kind of object holds the record. Default `leases`. (`lock`, in every other options
   * object, is the `Lock` itself.)
   */
  readonly lockKind?: 'leases' | 'configmaps';
  /** Where to read the Pod's namespace from (tests). */
  readonly namespaceFile?: string;
  /** Record Kubernetes Events about the lock. Default `true`. */
  readonly events?: boolean;
}

/**
 * A `LeaseElector` on a `LeaseLock` (or `ConfigMapLock`), from one options object: what the CLI
 * and the Manager use. Throws `LeaderElectionError` (`noNamespace`, `invalidConfig`) at once.
 */
export function createLeaseElector(options: CreateLeaseElectorOptions): LeaseElector {
  const {
    kubeConfig,
    name,
    namespace,
    lockKind: kind,
    namespaceFile,
    events,
    identity,
    ...electorOptions
  } = options;
  const lockOptions = {
    kubeConfig,
    name,
    ...(namespace === undefined ? {} : { namespace }),
    ...(identity === undefined ? {} : { identity }),
    ...(namespaceFile === undefined ? {} : { namespaceFile }),
    ...(events === undefined ? {} : { events }),
  };
  const lock = kind === 'configmaps' ? new ConfigMapLock(lockOptions) : new LeaseLock(lockOptions);
  return new LeaseElector({ ...electorOptions, lock });
}

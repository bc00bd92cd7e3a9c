import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@kubekit/leaderelection';
import { createManager, type Manager } from '@kubekit/manager';
import { cacheFor, clientFor, controllerManagedBy } from '@kubekit/reconcile';
import type { Registry } from 'prom-client';
import { StampReconciler, stampLabel } from './stamp-reconciler.js';

/** Options of {@link createStamper}. */
export interface StamperOptions {
  readonly kubeConfig: KubeConfig;
  /** Namespace of the lock, of this Pod and of the ConfigMaps it stamps. */
  readonly namespace: string;
  /** Name of the lock ConfigMap. Default `stamper-lock`. */
  readonly lockName?: string;
  /** This Pod's name. Default: `POD_NAME` from `env`. */
  readonly podName?: string;
  /** Where `POD_NAME` is read from. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  readonly registry?: Registry;
  readonly healthProbeBindAddress?: string;
}

/**
 * A Manager elected leader-for-life (a lock ConfigMap owned by this Pod: it leads until its Pod is
 * gone) running one controller, `stamper`, which stamps labelled ConfigMaps of its namespace
 * (`example.com/stamp=true`) with this Pod's name. Call `start(signal)` on it.
 */
export function createStamper(options: StamperOptions): Manager {
  const manager = createManager({
    kubeConfig: options.kubeConfig,
    leaderElection: {
      kind: 'leader-for-life',
      lockName: options.lockName ?? 'stamper-lock',
      namespace: options.namespace,
      ...(options.podName === undefined ? {} : { podName: options.podName }),
      ...(options.env === undefined ? {} : { env: options.env }),
    },
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    ...(options.healthProbeBindAddress === undefined
      ? {}
      : { healthProbeBindAddress: options.healthProbeBindAddress }),
  });
  controllerManagedBy(manager)
    .for({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: options.namespace,
      labelSelector: `${stampLabel}=true`,
    })
    .named('stamper')
    .complete(new StampReconciler(cacheFor(manager), clientFor(manager), manager.getElector().identity));
  return manager;
}

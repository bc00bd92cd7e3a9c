import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { createClient } from '@kubekit/client';
import { Registry } from 'prom-client';
import { eventually } from '../support/eventually.js';
// --- README: builder example ---
import { isAlreadyExists, type ObjectClient } from '@kubekit/client';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import { createManager, type Manager } from '@kubekit/manager';
import {
  cacheFor,
  clientFor,
  controllerManagedBy,
  labelSelector,
  type Cache,
  type Reconciler,
  type Request,
  type Result,
} from '@kubekit/reconcile';

const configMaps = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const secrets = { apiVersion: 'v1', kind: 'Secret' } as const;

/** Keeps a Secret beside every ConfigMap labelled `mirror=true`: same name, same data, owned by it. */
export class MirrorReconciler implements Reconciler {
  constructor(
    private readonly cache: Cache, // reads: from the informers
    private readonly client: ObjectClient, // writes: to the API server
  ) {}

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result> {
    const source = this.cache.get<ConfigMap>({ ...configMaps, namespace, name });
    // Gone or going: the garbage collector deletes the Secret it owns.
    if (source?.metadata?.uid === undefined || source.metadata.deletionTimestamp !== undefined) return {};
    const data = source.data ?? {};
    const mirror = this.cache.get<Secret>({ ...secrets, namespace, name });
    if (mirror === undefined) {
      const owner = { apiVersion: 'v1', kind: 'ConfigMap', name, uid: source.metadata.uid };
      const secret: Secret = {
        ...secrets,
        metadata: {
          name,
          namespace,
          ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }],
        },
        stringData: data,
      };
      // The cache may not have seen a Secret created a moment ago: AlreadyExists is fine.
      await this.client.create(secret, { signal }).catch((error: unknown) => {
        if (!isAlreadyExists(error)) throw error;
      });
    } else if (!sameData(mirror, data)) {
      await this.client.patch({ ...secrets, namespace, name }, { data: null, stringData: data }, { signal });
    }
    return {}; // a throw retries with backoff; `{ requeueAfter: ms }` comes back later
  }
}

function sameData(secret: Secret, data: Record<string, string>): boolean {
  const current = Object.entries(secret.data ?? {});
  return (
    current.length === Object.keys(data).length &&
    current.every(([key, value]) => Buffer.from(value, 'base64').toString() === data[key])
  );
}

export function createOperator(kubeConfig: KubeConfig, namespace: string, registry?: Registry): Manager {
  const manager = createManager({
    kubeConfig,
    leaderElection: { name: 'mirror-operator', namespace },
    ...(registry === undefined ? {} : { registry }),
  });
  controllerManagedBy(manager)
    .for({ ...configMaps, namespace }, { predicates: [labelSelector('mirror=true')] })
    .owns({ ...secrets, namespace }) // a change to a Secret it owns reconciles its ConfigMap
    .withOptions({ maxConcurrentReconciles: 4 })
    .complete(new MirrorReconciler(cacheFor(manager), clientFor(manager)));
  return manager;
}

// In main():
//   const manager = createOperator(kubeConfig, 'my-namespace');
//   await manager.start(setupSignalHandler());
// --- end of the README example ---

describe('README example: a controller assembled by the builder', function () {
  this.timeout(20_000);
  const env = useEnvtest();

  it('mirrors labelled ConfigMaps into Secrets, and repairs a Secret changed behind its back', async () => {
    const manager = createOperator(env.kubeConfig, env.namespace, new Registry());
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    const admin = createClient({ kubeConfig: env.kubeConfig, metrics: null });
    const secret = (name: string) =>
      admin.get<Secret>({ ...secrets, namespace: env.namespace, name }).catch(() => undefined);
    const decoded = async (name: string) =>
      Object.fromEntries(
        Object.entries((await secret(name))?.data ?? {}).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString(),
        ]),
      );
    try {
      await admin.create({
        ...configMaps,
        metadata: { name: 'web', namespace: env.namespace, labels: { mirror: 'true' } },
        data: { port: '80' },
      });
      await admin.create({
        ...configMaps,
        metadata: { name: 'plain', namespace: env.namespace },
      });
      await eventually(async () => (await decoded('web'))['port'] === '80', 'the Secret web mirrors web');
      await admin.patch(
        { ...secrets, namespace: env.namespace, name: 'web' },
        { stringData: { port: '8080' } },
      );
      await eventually(async () => (await decoded('web'))['port'] === '80', 'the Secret is repaired');
      expect(await secret('plain')).to.equal(undefined);
    } finally {
      stop.abort();
      await running;
      await admin.close(false);
    }
  });
});

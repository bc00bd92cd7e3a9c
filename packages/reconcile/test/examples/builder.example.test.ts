import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { createClient, type KubeObject } from '@kubekit/client';
import { Registry } from 'prom-client';
import { eventually } from '../support/eventually.js';
// --- README: builder example ---
import { isAlreadyExists } from '@kubekit/client';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import { createManager, type Manager } from '@kubekit/manager';
import {
  cachedClientFor,
  controllerManagedBy,
  labelSelector,
  recorderFor,
  type CachedClient,
  type EventRecorder,
  type Reconciler,
  type Request,
  type Result,
} from '@kubekit/reconcile';

const configMaps = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const secrets = { apiVersion: 'v1', kind: 'Secret' } as const;

/** Keeps a Secret beside every ConfigMap labelled `mirror=true`: same name, same data, owned by it. */
export class MirrorReconciler implements Reconciler {
  constructor(
    private readonly client: CachedClient, // reads from the informers, writes to the API, reads its own writes
    private readonly events: EventRecorder, // Events about the objects, for `kubectl describe`
  ) {}

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result> {
    const source = await this.client.get<ConfigMap>({ ...configMaps, namespace, name }, { signal });
    // Gone or going: the garbage collector deletes the Secret it owns.
    if (source?.metadata?.uid === undefined || source.metadata.deletionTimestamp !== undefined) return {};
    const data = source.data ?? {};
    const mirror = await this.client.get<Secret>({ ...secrets, namespace, name }, { signal });
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
      // What this client wrote, it reads back; a Secret someone else created a moment ago may not
      // be cached yet: AlreadyExists is fine.
      await this.client.create(secret, { signal }).catch((error: unknown) => {
        if (!isAlreadyExists(error)) throw error;
      });
      this.events.event(source, 'Normal', 'Created', `created Secret ${name}`);
    } else if (!sameData(mirror, data)) {
      await this.client.patch({ ...secrets, namespace, name }, { data: null, stringData: data }, { signal });
      this.events.event(source, 'Warning', 'Repaired', `Secret ${name} had been changed: restored`);
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
    .complete(new MirrorReconciler(cachedClientFor(manager), recorderFor(manager, 'mirror-operator')));
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
      const reasons = async () =>
        (
          await admin.list<KubeObject & { reason?: string; reportingController?: string }>({
            apiVersion: 'events.k8s.io/v1',
            kind: 'Event',
            namespace: env.namespace,
          })
        ).items
          .filter((e) => e.reportingController === 'mirror-operator')
          .map((e) => e.reason)
          .sort();
      await eventually(
        async () => (await reasons()).join() === 'Created,Repaired',
        'the Events are recorded',
      );
    } finally {
      stop.abort();
      await running;
      await admin.close(false);
    }
  });
});

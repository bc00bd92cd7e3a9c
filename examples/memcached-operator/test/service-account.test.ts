import 'reflect-metadata';
import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { createClient, isForbidden, type KubeClient } from '@kubekit/client';
import { startEnvtest, type Envtest } from '@kubekit/envtest';
import { Registry } from 'prom-client';
import {
  availableCondition,
  createOperator,
  loadDeployManifests,
  memcachedApiVersion,
  memcachedKind,
  type Memcached,
} from '#lib/index.js';
import { eventually } from './eventually.js';

// The operator as its ServiceAccount (memcached-system/memcached-operator) under exactly the RBAC
// of deploy/rbac.yaml, applied by the admin with the rest of deploy/: a missing permission fails.
describe('memcached operator as its ServiceAccount under deploy/rbac.yaml', () => {
  let env: Envtest;
  let admin: KubeClient;
  let operatorClient: KubeClient;
  before(async () => {
    env = await startEnvtest({
      gcDelayMs: 0,
      users: [
        { name: 'operator', serviceAccount: { namespace: 'memcached-system', name: 'memcached-operator' } },
      ],
    });
    admin = createClient({ kubeConfig: env.kubeConfig, metrics: null });
    for (const object of loadDeployManifests()) await admin.create(object);
    await env.cluster.createNamespace('apps');
    operatorClient = createClient({ kubeConfig: env.kubeConfigFor('operator'), metrics: null });
  });
  after(async () => {
    await operatorClient.close();
    await admin.close();
    await env.stop();
  });

  it('leads, reconciles a Memcached in another namespace, and records its status', async () => {
    const stop = new AbortController();
    const operator = createOperator({
      kubeConfig: env.kubeConfigFor('operator'),
      registry: new Registry(),
      manager: {
        leaderElection: {
          name: 'memcached-operator',
          namespace: 'memcached-system',
          identity: 'memcached-operator-0',
        },
      },
    });
    const running = operator.manager.start(stop.signal);
    try {
      const ref = { apiVersion: memcachedApiVersion, kind: memcachedKind, namespace: 'apps', name: 'cache' };
      await admin.create<Memcached>({
        ...ref,
        metadata: { name: 'cache', namespace: 'apps' },
        spec: { size: 2 },
      });
      const deployment = await eventually(() =>
        admin.get<Deployment>({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: 'apps',
          name: 'cache',
        }),
      );
      expect(deployment.metadata?.ownerReferences?.[0]).to.include({
        kind: memcachedKind,
        controller: true,
        blockOwnerDeletion: true,
      });
      await eventually(async () => {
        const m = await admin.get<Memcached>(ref);
        expect(m.status?.conditions?.find((c) => c.type === availableCondition)).to.include({
          status: 'False',
          observedGeneration: 1,
        });
      });
      const lease = await admin.get<Lease>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: 'memcached-system',
        name: 'memcached-operator',
      });
      expect(lease.spec?.holderIdentity).to.equal('memcached-operator-0');
    } finally {
      stop.abort();
      await running;
      await operator.close();
    }
  });

  it('may do nothing beyond it: no leases outside its namespace, no secrets, no deleting Deployments', async () => {
    const attempts: [string, () => Promise<unknown>][] = [
      [
        'list leases in default',
        () =>
          operatorClient.list({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'default' }),
      ],
      [
        'list secrets',
        () => operatorClient.list({ apiVersion: 'v1', kind: 'Secret', namespace: 'memcached-system' }),
      ],
      [
        'delete a Deployment',
        () =>
          operatorClient.delete({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            namespace: 'memcached-system',
            name: 'memcached-operator',
          }),
      ],
      [
        'create a Memcached',
        () =>
          operatorClient.create({
            apiVersion: memcachedApiVersion,
            kind: memcachedKind,
            metadata: { name: 'x', namespace: 'apps' },
          }),
      ],
    ];
    for (const [what, attempt] of attempts) {
      try {
        await attempt();
        expect.fail(`${what}: allowed`);
      } catch (error) {
        expect(isForbidden(error), `${what}: ${String(error)}`).to.equal(true);
      }
    }
  });
});

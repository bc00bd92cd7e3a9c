import 'reflect-metadata';
import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { createClient, isForbidden, type KubeClient, type KubeObject } from '@kubekit/client';
import { ManagerError } from '@kubekit/manager';
import { startEnvtest, type Envtest } from '@kubekit/envtest';
import { Registry } from 'prom-client';
import {
  availableCondition,
  createOperator,
  deployDir,
  loadDeployManifests,
  loadManifests,
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
        { name: 'limited', serviceAccount: { namespace: 'memcached-system', name: 'memcached-limited' } },
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

  it('cannot start without list and watch on deployments (deploy/rbac.yaml without them): its cache never syncs', async () => {
    // deploy/rbac.yaml again, for another ServiceAccount, with `list` and `watch` taken from deployments.
    for (const object of loadManifests(`${deployDir}rbac.yaml`)) await admin.create(limited(object));
    const operator = createOperator({
      kubeConfig: env.kubeConfigFor('limited'),
      registry: new Registry(),
      manager: {
        leaderElection: { name: 'memcached-limited', namespace: 'memcached-system', identity: 'limited-0' },
        cacheSyncTimeout: 2_000,
      },
    });
    const stop = new AbortController();
    try {
      const error = await Promise.race([
        operator.manager.start(stop.signal).then(
          () => 'stopped',
          (e: unknown) => e,
        ),
        operator.manager.elected(stop.signal).then(
          () => 'elected: it started',
          () => 'stopped',
        ),
      ]);
      expect(ManagerError.is(error) && error.kind, String(error)).to.equal('startFailed');
    } finally {
      stop.abort();
      await operator.close();
    }
  });
});

/** An object of deploy/rbac.yaml renamed for the ServiceAccount memcached-limited, without list/watch on deployments. */
function limited(object: KubeObject): KubeObject {
  const copy = structuredClone(object) as KubeObject & {
    rules?: { resources?: string[]; verbs?: string[] }[];
    subjects?: { name: string }[];
    roleRef?: { name: string };
  };
  const rename = (name: string): string => name.replace('memcached-operator', 'memcached-limited');
  if (copy.metadata?.name !== undefined) copy.metadata.name = rename(copy.metadata.name);
  for (const subject of copy.subjects ?? []) subject.name = rename(subject.name);
  if (copy.roleRef !== undefined) copy.roleRef.name = rename(copy.roleRef.name);
  for (const rule of copy.rules ?? []) {
    if (rule.resources?.includes('deployments') === true)
      rule.verbs = (rule.verbs ?? []).filter((verb) => verb !== 'list' && verb !== 'watch');
  }
  return copy;
}

import 'reflect-metadata';
import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { isInvalid, isNotFound } from '@kubekit/client';
import { Registry } from 'prom-client';
import {
  availableCondition,
  createOperator,
  memcachedApiVersion,
  memcachedFinalizer,
  memcachedKind,
  type Memcached,
  type Operator,
} from '#lib/index.js';
import { eventually } from './eventually.js';
import { useMemcachedEnvtest } from './memcached-envtest.js';

describe('memcached operator', () => {
  const cluster = useMemcachedEnvtest();
  const { env, ref, deploymentRef } = cluster;
  let operator: Operator | undefined;
  let stop: AbortController;
  let running: Promise<void> | undefined;

  beforeEach(() => {
    stop = new AbortController();
    operator = createOperator({
      kubeConfig: env.kubeConfig,
      registry: new Registry(),
      manager: {
        leaderElection: { name: 'memcached-operator', namespace: env.namespace, identity: 'test-replica' },
        healthProbeBindAddress: '127.0.0.1:0',
      },
    });
    running = operator.manager.start(stop.signal);
  });
  afterEach(async () => {
    stop.abort();
    await running;
    await operator?.close();
  });

  it('reconciles a Memcached into a Deployment it controls, with a finalizer and an Available condition', async () => {
    const created = await cluster.client.create<Memcached>({
      ...ref('cache'),
      metadata: { name: 'cache', namespace: env.namespace },
      spec: { size: 2 },
    });

    const deployment = await eventually(() => cluster.client.get<Deployment>(deploymentRef('cache')));
    expect(deployment.spec?.replicas).to.equal(2);
    expect(deployment.metadata?.ownerReferences).to.deep.equal([
      {
        apiVersion: memcachedApiVersion,
        kind: memcachedKind,
        name: 'cache',
        uid: created.metadata?.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const reconciled = await eventually(async () => {
      const m = await cluster.client.get<Memcached>(ref('cache'));
      const condition = m.status?.conditions?.find((c) => c.type === availableCondition);
      if (condition === undefined) throw new Error('no Available condition yet');
      return { m, condition };
    });
    expect(reconciled.m.metadata?.finalizers).to.include(memcachedFinalizer);
    expect(reconciled.condition).to.include({
      status: 'False',
      reason: 'DeploymentUnavailable',
      observedGeneration: 1,
    });
    expect(reconciled.condition.message).to.equal('0/2 replicas available');
  });

  it('follows the Deployment status and spec.size changes (observedGeneration moves)', async () => {
    await cluster.client.create<Memcached>({
      ...ref('web'),
      metadata: { name: 'web', namespace: env.namespace },
      spec: { size: 1 },
    });
    const deployment = await eventually(() => cluster.client.get<Deployment>(deploymentRef('web')));
    // envtest runs no Deployment controller: play its part.
    await cluster.client.updateStatus({ ...deployment, status: { replicas: 1, availableReplicas: 1 } });
    await eventually(async () => {
      const m = await cluster.client.get<Memcached>(ref('web'));
      expect(m.status?.conditions?.find((c) => c.type === availableCondition)).to.include({
        status: 'True',
        reason: 'DeploymentAvailable',
      });
    });

    await cluster.client.patch(ref('web'), { spec: { size: 3 } });
    await eventually(async () => {
      expect((await cluster.client.get<Deployment>(deploymentRef('web'))).spec?.replicas).to.equal(3);
      const m = await cluster.client.get<Memcached>(ref('web'));
      expect(m.status?.conditions?.find((c) => c.type === availableCondition)).to.include({
        status: 'False',
        observedGeneration: 2,
        message: '1/3 replicas available',
      });
    });
  });

  it('gets spec.size defaulted to 1 by the CRD schema, and an out-of-range size is refused by it', async () => {
    await cluster.client.create<Memcached>({
      ...ref('small'),
      metadata: { name: 'small', namespace: env.namespace },
      spec: {},
    });
    await eventually(async () => {
      expect((await cluster.client.get<Deployment>(deploymentRef('small'))).spec?.replicas).to.equal(1);
    });
    try {
      await cluster.client.create<Memcached>({
        ...ref('huge'),
        metadata: { name: 'huge', namespace: env.namespace },
        spec: { size: 9 },
      });
      expect.fail('the API server accepted spec.size 9');
    } catch (error) {
      expect(isInvalid(error), String(error)).to.equal(true);
    }
  });

  it('removes its finalizer on deletion, and the Deployment is garbage-collected', async () => {
    await cluster.client.create<Memcached>({
      ...ref('gone'),
      metadata: { name: 'gone', namespace: env.namespace },
      spec: { size: 1 },
    });
    await eventually(() => cluster.client.get<Deployment>(deploymentRef('gone')));
    await eventually(async () => {
      expect((await cluster.client.get<Memcached>(ref('gone'))).metadata?.finalizers).to.include(
        memcachedFinalizer,
      );
    });
    await cluster.client.delete(ref('gone'));
    for (const r of [ref('gone'), deploymentRef('gone')]) {
      await eventually(async () => {
        try {
          await cluster.client.get(r);
        } catch (error) {
          if (isNotFound(error)) return;
          throw error;
        }
        throw new Error(`${r.kind} still there`);
      });
    }
  });
});

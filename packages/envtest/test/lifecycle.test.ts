/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be called. */
import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually, raw, sleep } from './support/raw-client.js';

describe('envtest garbage collector and Pod lifecycle', () => {
  const env = useEnvtest({ podGracePeriodMs: 50 });
  const core = (): CoreV1Api => env.kubeConfig.makeApiClient(CoreV1Api);

  function pod(name: string, nodeName?: string): V1Pod {
    return {
      metadata: { name },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        ...(nodeName === undefined ? {} : { nodeName }),
      },
    };
  }

  async function exists(kind: 'pod' | 'configmap', name: string): Promise<boolean> {
    const path = `/api/v1/namespaces/${env.namespace}/${kind}s/${name}`;
    return (await raw(env, 'GET', path)).status === 200;
  }

  async function ownedConfigMap(name: string, owner: V1Pod): Promise<void> {
    await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: {
        metadata: {
          name,
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Pod',
              name: owner.metadata?.name ?? '',
              uid: owner.metadata?.uid ?? '',
              controller: true,
            },
          ],
        },
      },
    });
  }

  it('deletes a ConfigMap owned by a Pod once the Pod is gone', async () => {
    const owner = await core().createNamespacedPod({ namespace: env.namespace, body: pod('owner', 'n1') });
    await ownedConfigMap('dependent', owner);
    const deleted = await core().deleteNamespacedPod({ namespace: env.namespace, name: 'owner' });
    expect(deleted.metadata?.deletionTimestamp).to.be.instanceOf(Date);
    expect(await exists('configmap', 'dependent')).to.equal(true);
    await eventually(async () => !(await exists('pod', 'owner')));
    await eventually(async () => !(await exists('configmap', 'dependent')));
  });

  it('keeps a Pod on a dead node Terminating, and its dependents, until a force delete', async () => {
    const node = `dead-${env.namespace}`;
    await env.cluster.setNodeReady(node, 'False');
    const owner = await core().createNamespacedPod({ namespace: env.namespace, body: pod('stuck', node) });
    await ownedConfigMap('kept', owner);
    await core().deleteNamespacedPod({ namespace: env.namespace, name: 'stuck' });
    await sleep(200);
    const terminating = await core().readNamespacedPod({ namespace: env.namespace, name: 'stuck' });
    expect(terminating.metadata?.deletionTimestamp).to.be.instanceOf(Date);
    expect(await exists('configmap', 'kept')).to.equal(true);
    await core().deleteNamespacedPod({ namespace: env.namespace, name: 'stuck', gracePeriodSeconds: 0 });
    expect(await exists('pod', 'stuck')).to.equal(false);
    await eventually(async () => !(await exists('configmap', 'kept')));
  });

  it('finishes the termination when the dead node becomes Ready again', async () => {
    const node = `flaky-${env.namespace}`;
    await env.cluster.setNodeReady(node, 'Unknown');
    await core().createNamespacedPod({ namespace: env.namespace, body: pod('p', node) });
    await core().deleteNamespacedPod({ namespace: env.namespace, name: 'p' });
    await sleep(150);
    expect(await exists('pod', 'p')).to.equal(true);
    await env.cluster.setNodeReady(node, 'True');
    await eventually(async () => !(await exists('pod', 'p')));
  });

  it('removes an unscheduled Pod at once and honours gracePeriodSeconds', async () => {
    await core().createNamespacedPod({ namespace: env.namespace, body: pod('pending') });
    await core().deleteNamespacedPod({ namespace: env.namespace, name: 'pending' });
    expect(await exists('pod', 'pending')).to.equal(false);
    await core().createNamespacedPod({ namespace: env.namespace, body: pod('graceful', 'n1') });
    const started = Date.now();
    const deleted = await core().deleteNamespacedPod({
      namespace: env.namespace,
      name: 'graceful',
      gracePeriodSeconds: 1,
    });
    expect(deleted.metadata?.deletionGracePeriodSeconds).to.equal(1);
    await sleep(500);
    expect(await exists('pod', 'graceful')).to.equal(true);
    await eventually(async () => !(await exists('pod', 'graceful')));
    expect(Date.now() - started).to.be.greaterThanOrEqual(950);
  });

  it('sets Pod phase and reason for tests', async () => {
    await core().createNamespacedPod({ namespace: env.namespace, body: pod('evicted', 'n1') });
    await env.cluster.setPodStatus(env.namespace, 'evicted', { phase: 'Failed', reason: 'Evicted' });
    const read = await core().readNamespacedPod({ namespace: env.namespace, name: 'evicted' });
    expect(read.status?.phase).to.equal('Failed');
    expect(read.status?.reason).to.equal('Evicted');
    await env.cluster.setPodStatus(env.namespace, 'evicted', { phase: 'Running' });
    expect(
      (await core().readNamespacedPod({ namespace: env.namespace, name: 'evicted' })).status?.reason,
    ).to.equal(undefined);
    let error: unknown;
    await env.cluster
      .setPodStatus(env.namespace, 'absent', { phase: 'Failed' })
      .catch((e: unknown) => (error = e));
    expect(error).to.have.property('kind', 'notFound');
  });

  it('deletes dependents whose owner exists with another UID, and keeps those with a live owner', async () => {
    const owner = await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'o' } },
    });
    const ref = (uid: string): { apiVersion: string; kind: string; name: string; uid: string }[] => [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid },
    ];
    await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'live', ownerReferences: ref(owner.metadata?.uid ?? '') } },
    });
    await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'stale', ownerReferences: ref('another-uid') } },
    });
    await eventually(async () => !(await exists('configmap', 'stale')));
    expect(await exists('configmap', 'live')).to.equal(true);
  });

  it('orphans dependents with propagationPolicy Orphan', async () => {
    const owner = await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'o' } },
    });
    await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: {
        metadata: {
          name: 'child',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: owner.metadata?.uid ?? '' },
          ],
        },
      },
    });
    await core().deleteNamespacedConfigMap({
      namespace: env.namespace,
      name: 'o',
      propagationPolicy: 'Orphan',
    });
    await eventually(async () => !(await exists('configmap', 'o')));
    const child = await core().readNamespacedConfigMap({ namespace: env.namespace, name: 'child' });
    expect(child.metadata?.ownerReferences).to.equal(undefined);
  });

  it('deletes dependents before the owner with propagationPolicy Foreground', async () => {
    const owner = await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'o' } },
    });
    await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: {
        metadata: {
          name: 'child',
          finalizers: ['example.com/slow'],
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              name: 'o',
              uid: owner.metadata?.uid ?? '',
              blockOwnerDeletion: true,
            },
          ],
        },
      },
    });
    await core().deleteNamespacedConfigMap({
      namespace: env.namespace,
      name: 'o',
      propagationPolicy: 'Foreground',
    });
    await sleep(50);
    const waiting = await core().readNamespacedConfigMap({ namespace: env.namespace, name: 'o' });
    expect(waiting.metadata?.finalizers).to.deep.equal(['foregroundDeletion']);
    const child = await core().readNamespacedConfigMap({ namespace: env.namespace, name: 'child' });
    expect(child.metadata?.deletionTimestamp).to.be.instanceOf(Date);
    await core().patchNamespacedConfigMap({
      namespace: env.namespace,
      name: 'child',
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    await eventually(async () => !(await exists('configmap', 'o')));
  });

  it('empties a deleted namespace, then removes it', async () => {
    const ns = `gone-${env.namespace}`;
    await core().createNamespace({ body: { metadata: { name: ns } } });
    await core().createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' } } });
    const deleted = await core().deleteNamespace({ name: ns });
    expect(deleted).to.have.nested.property('status.phase', 'Terminating');
    const refused = await raw(env, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: { metadata: { name: 'y' } },
    });
    expect([403, 404]).to.include(refused.status);
    await eventually(async () => (await raw(env, 'GET', `/api/v1/namespaces/${ns}`)).status === 404);
  });
});

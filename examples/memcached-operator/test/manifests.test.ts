import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { createClient, type KubeClient, type KubeObject } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import { loadDeployManifests } from '#lib/index.js';

describe('deploy/ manifests', () => {
  const env = useEnvtest();
  let client: KubeClient;
  before(() => {
    client = createClient({ kubeConfig: env.kubeConfig, metrics: null });
  });
  after(async () => {
    await client.close();
  });

  it('describe a three-replica Deployment with POD_NAME from the downward API and probes on the health server', () => {
    const deployment = loadDeployManifests().find((o) => o.kind === 'Deployment') as Deployment | undefined;
    expect(deployment?.spec?.replicas).to.equal(3);
    const container = deployment?.spec?.template.spec?.containers[0];
    expect(container?.env?.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).to.equal(
      'metadata.name',
    );
    expect(container?.livenessProbe?.httpGet).to.deep.include({ path: '/healthz', port: 'health' });
    expect(container?.readinessProbe?.httpGet).to.deep.include({ path: '/readyz', port: 'health' });
    expect(container?.ports?.find((p) => p.name === 'health')?.containerPort).to.equal(8081);
    expect(loadDeployManifests().map((o) => o.kind)).to.include.members([
      'CustomResourceDefinition',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ClusterRole',
      'ClusterRoleBinding',
      'PodDisruptionBudget',
    ]);
  });

  it('are all accepted by envtest (RBAC and the PodDisruptionBudget included)', async () => {
    for (const object of loadDeployManifests()) {
      await client.create(object);
    }
    const crd = await client.get<
      KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
    >({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: 'memcacheds.cache.example.com',
    });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).to.equal('True');
    const deployment = await client.get<Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'memcached-system',
      name: 'memcached-operator',
    });
    expect(deployment.spec?.replicas).to.equal(3);
  });
});

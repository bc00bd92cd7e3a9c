/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be used. */
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { raw } from '../support/raw-client.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

function crd(plural: string, kind: string, status: boolean): unknown {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.status.example.com` },
    spec: {
      group: 'status.example.com',
      scope: 'Namespaced',
      names: { plural, kind },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          ...(status ? { subresources: { status: {} } } : {}),
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

describe('envtest status on create and on main-resource writes', () => {
  const env = useEnvtest();

  before(async () => {
    await raw(env, 'POST', CRDS, { body: crd('gadgets', 'Gadget', true) });
    await raw(env, 'POST', CRDS, { body: crd('gizmos', 'Gizmo', false) });
  });

  it('drops status sent on create of a custom resource with a status subresource', async () => {
    const path = `/apis/status.example.com/v1/namespaces/${env.namespace}/gadgets`;
    const created = await raw(env, 'POST', path, {
      body: {
        apiVersion: 'status.example.com/v1',
        kind: 'Gadget',
        metadata: { name: 'g' },
        status: { ok: true },
      },
    });
    expect(created.status).to.equal(201);
    expect(created.json).not.to.have.property('status');
    const replaced = await raw(env, 'PUT', `${path}/g`, {
      body: { ...(created.json as object), spec: { a: 1 }, status: { ok: true } },
    });
    expect(replaced.status).to.equal(200);
    expect(replaced.json).not.to.have.property('status');
    expect(replaced.json).to.have.nested.property('spec.a', 1);
    await raw(env, 'PATCH', `${path}/g/status`, {
      body: { status: { ok: true } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    const patched = await raw(env, 'PATCH', `${path}/g`, {
      body: { status: { ok: false } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(patched.json).to.have.nested.property('status.ok', true);
  });

  it('keeps status sent on create of a custom resource without a status subresource', async () => {
    const created = await raw(env, 'POST', `/apis/status.example.com/v1/namespaces/${env.namespace}/gizmos`, {
      body: {
        apiVersion: 'status.example.com/v1',
        kind: 'Gizmo',
        metadata: { name: 'g' },
        status: { ok: true },
      },
    });
    expect(created.json).to.have.nested.property('status.ok', true);
  });

  it('resets the status of Deployments, Pods and Services on create (client-node)', async () => {
    const apps = env.kubeConfig.makeApiClient(AppsV1Api);
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const template = {
      metadata: { labels: { app: 'a' } },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    };
    const deployment = await apps.createNamespacedDeployment({
      namespace: env.namespace,
      body: {
        metadata: { name: 'd' },
        spec: { selector: { matchLabels: { app: 'a' } }, template },
        status: { replicas: 5, readyReplicas: 5 },
      },
    });
    expect(deployment.status?.replicas).to.equal(undefined);
    const pod = await core.createNamespacedPod({
      namespace: env.namespace,
      body: { metadata: { name: 'p' }, spec: template.spec, status: { phase: 'Running', podIP: '10.0.0.1' } },
    });
    expect(pod.status?.phase).to.equal('Pending');
    expect(pod.status?.podIP).to.equal(undefined);
    const service = await core.createNamespacedService({
      namespace: env.namespace,
      body: {
        metadata: { name: 's' },
        spec: { ports: [{ port: 80 }] },
        status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
      },
    });
    expect(service.status?.loadBalancer?.ingress).to.equal(undefined);
  });
});

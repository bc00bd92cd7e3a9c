import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { certificateCrd } from '../fixtures/certificate-crd.js';
import { useKubectl } from '../support/kubectl.js';
import { raw } from '../support/raw-client.js';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'typo' },
  spec: {
    replicas: 1,
    replicass: 2,
    selector: { matchLabels: { app: 'a' } },
    template: {
      metadata: { labels: { app: 'a' } },
      spec: { containers: [{ name: 'c', image: 'nginx', imagee: 'x' }] },
    },
  },
};

describe('envtest fieldValidation', () => {
  const env = useEnvtest();
  const kubectl = useKubectl(env);
  const deployments = (): string => `/apis/apps/v1/namespaces/${env.namespace}/deployments`;

  it('Strict answers 400 naming every unknown field, as kube-apiserver decoding does', async () => {
    const answer = await raw(env, 'POST', `${deployments()}?fieldValidation=Strict`, { body: deployment });
    expect(answer.status).to.equal(400);
    expect(answer.json).to.include({
      reason: 'BadRequest',
      message:
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replicass", unknown field "spec.template.spec.containers[0].imagee"',
    });
  });

  it('Warn (the default) drops unknown fields with one Warning header each; Ignore drops them quietly', async () => {
    const warned = await raw(env, 'POST', deployments(), { body: deployment });
    expect(warned.status).to.equal(201);
    expect(warned.headers['warning']).to.equal(
      '299 - "unknown field \\"spec.replicass\\"", 299 - "unknown field \\"spec.template.spec.containers[0].imagee\\""',
    );
    expect(warned.json).not.to.have.nested.property('spec.replicass');
    expect(warned.json).not.to.have.nested.property('spec.template.spec.containers[0].imagee');
    const ignored = await raw(env, 'POST', `${deployments()}?fieldValidation=Ignore`, {
      body: { ...deployment, metadata: { name: 'quiet' } },
    });
    expect(ignored.status).to.equal(201);
    expect(ignored.headers['warning']).to.equal(undefined);
    const bad = await raw(env, 'POST', `${deployments()}?fieldValidation=Loud`, { body: deployment });
    expect(bad.status).to.equal(400);
  });

  it('applies to custom resources through their schema, and to patches', async () => {
    const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.fv.example.com`;
    await raw(env, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: certificateCrd(group),
    });
    const path = `/apis/${group}/v1/namespaces/${env.namespace}/certificates`;
    const strict = await raw(env, 'POST', `${path}?fieldValidation=Strict`, {
      body: {
        apiVersion: `${group}/v1`,
        kind: 'Certificate',
        metadata: { name: 'c' },
        spec: { secretName: 's', issuerRef: { name: 'ca', bogus: 1 } },
      },
    });
    expect(strict.status).to.equal(400);
    expect(strict.json).to.include({
      reason: 'BadRequest',
      message:
        'Certificate in version "v1" cannot be handled as a Certificate: strict decoding error: unknown field "spec.issuerRef.bogus"',
    });
    await raw(env, 'POST', `/api/v1/namespaces/${env.namespace}/configmaps`, {
      body: { metadata: { name: 'cm' } },
    });
    const patched = await raw(
      env,
      'PATCH',
      `/api/v1/namespaces/${env.namespace}/configmaps/cm?fieldValidation=Strict`,
      {
        body: { datta: { a: '1' } },
        headers: { 'Content-Type': 'application/merge-patch+json' },
      },
    );
    expect(patched.status).to.equal(400);
    expect((patched.json as { message: string }).message).to.contain('unknown field "datta"');
  });

  it('lets kubectl create -f refuse a typo (kubectl asks for Strict) and warn with --validate=warn', async () => {
    const file = await kubectl.manifest('typo', [deployment]);
    const refused = await kubectl.run('create', '-f', file);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain('strict decoding error: unknown field "spec.replicass"');
    const warned = await kubectl.run('create', '-f', file, '--validate=warn');
    expect(warned.code, warned.stderr).to.equal(0);
    expect(warned.stderr).to.contain('Warning: unknown field "spec.replicass"');
  });

  it('lets kubectl create a StatefulSet from a file (discovery and /openapi/v3 cover the new kinds)', async () => {
    const file = await kubectl.manifest('sts', [
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db' },
        spec: {
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: { containers: [{ name: 'db', image: 'postgres:17' }] },
          },
        },
      },
    ]);
    expect(await kubectl.ok('create', '-f', file)).to.contain('statefulset.apps/db created');
  });
});

describe('envtest OpenAPI documents', () => {
  const env = useEnvtest();

  it('lists every kind served in /openapi/v2 and /openapi/v3, custom resources included', async () => {
    const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.oa.example.com`;
    await raw(env, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: certificateCrd(group),
    });
    const v2 = (await raw(env, 'GET', '/openapi/v2')).json as {
      paths: Record<string, unknown>;
      definitions: Record<string, { 'x-kubernetes-group-version-kind': unknown[] }>;
    };
    for (const path of [
      '/apis/apps/v1/namespaces/{namespace}/statefulsets',
      '/apis/batch/v1/namespaces/{namespace}/cronjobs/{name}',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      '/api/v1/namespaces/{namespace}/persistentvolumeclaims',
      `/apis/${group}/v1/namespaces/{namespace}/certificates`,
    ]) {
      expect(v2.paths, path).to.have.property(path);
    }
    expect(
      v2.definitions['io.k8s.api.apps.v1.StatefulSet']?.['x-kubernetes-group-version-kind'],
    ).to.deep.equal([{ group: 'apps', version: 'v1', kind: 'StatefulSet' }]);
    const root = (await raw(env, 'GET', '/openapi/v3')).json as { paths: Record<string, unknown> };
    for (const path of [
      'apis/apps/v1',
      'apis/batch/v1',
      'apis/policy/v1',
      'apis/networking.k8s.io/v1',
      `apis/${group}/v1`,
    ]) {
      expect(root.paths, path).to.have.property(path);
    }
    const batch = (await raw(env, 'GET', '/openapi/v3/apis/batch/v1')).json as {
      paths: Record<string, unknown>;
    };
    expect(batch.paths).to.have.property('/apis/batch/v1/namespaces/{namespace}/jobs');
  });
});

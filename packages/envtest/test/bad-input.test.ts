import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { raw } from './support/raw-client.js';

describe('envtest bad input', () => {
  const env = useEnvtest();
  const configmaps = (): string => `/api/v1/namespaces/${env.namespace}/configmaps`;

  async function stillServing(): Promise<void> {
    const response = await raw(env, 'GET', configmaps());
    expect(response.status).to.equal(200);
  }

  it('answers 400 BadRequest for malformed JSON and keeps serving', async () => {
    const response = await raw(env, 'POST', configmaps(), { rawBody: '{"metadata": {' });
    expect(response.status).to.equal(400);
    expect(response.json).to.include({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect((response.json as { message: string }).message).to.match(
      /^couldn't get version\/kind; json parse error/,
    );
    const notObject = await raw(env, 'POST', configmaps(), { rawBody: '[1,2]' });
    expect(notObject.status).to.equal(400);
    await stillServing();
  });

  it('answers 400 when apiVersion or kind do not match the URL', async () => {
    const version = await raw(env, 'POST', configmaps(), {
      body: { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } },
    });
    expect(version.status).to.equal(400);
    expect(version.json).to.have.property(
      'message',
      'the API version in the data ("apps/v1") does not match the expected API version (v1)',
    );
    const kind = await raw(env, 'POST', configmaps(), {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } },
    });
    expect(kind.status).to.equal(400);
    await stillServing();
  });

  it('answers 400 when the namespace or name in the body does not match the URL', async () => {
    const namespace = await raw(env, 'POST', configmaps(), {
      body: { metadata: { name: 'x', namespace: 'other' } },
    });
    expect(namespace.status).to.equal(400);
    expect(namespace.json).to.have.property(
      'message',
      'the namespace of the provided object does not match the namespace sent on the request',
    );
    await raw(env, 'POST', configmaps(), { body: { metadata: { name: 'x' } } });
    const name = await raw(env, 'PUT', `${configmaps()}/x`, { body: { metadata: { name: 'y' } } });
    expect(name.status).to.equal(400);
    await stillServing();
  });

  it('answers 413 for a body over 3 MiB and keeps serving', async () => {
    const big = JSON.stringify({ metadata: { name: 'big' }, data: { x: 'a'.repeat(3 * 1024 * 1024) } });
    const response = await raw(env, 'POST', configmaps(), { rawBody: big });
    expect(response.status).to.equal(413);
    expect(response.json).to.include({ reason: 'RequestEntityTooLarge', code: 413 });
    await stillServing();
  });

  it('answers 404 for an unknown resource, group or path', async () => {
    const resource = await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/widgets`);
    expect(resource.status).to.equal(404);
    expect(resource.json).to.include({ kind: 'Status', reason: 'NotFound' });
    expect((await raw(env, 'GET', '/apis/nothing.example.com/v1/things')).status).to.equal(404);
    expect((await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/configmaps/x/scale`)).status).to.equal(
      404,
    );
    expect((await raw(env, 'GET', '/apis/nothing.example.com')).status).to.equal(404);
    expect((await raw(env, 'GET', '/api/v9')).status).to.equal(404);
    const path = await raw(env, 'GET', '/not/a/path');
    expect(path.status).to.equal(404);
    expect(path.text).to.equal('404 page not found\n');
    expect((await raw(env, 'GET', '/api/v1/configmaps/x')).status).to.equal(404);
    expect((await raw(env, 'GET', '/api/v1/namespaces/a/nodes')).status).to.equal(404);
    await stillServing();
  });

  it('answers 415 for an unsupported media type or patch type', async () => {
    const create = await raw(env, 'POST', configmaps(), {
      rawBody: 'metadata: {name: x}',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(create.status).to.equal(415);
    expect(create.json).to.include({ reason: 'UnsupportedMediaType', code: 415 });
    await raw(env, 'POST', configmaps(), { body: { metadata: { name: 'p' } } });
    const patch = await raw(env, 'PATCH', `${configmaps()}/p`, { body: { data: {} } });
    expect(patch.status).to.equal(415);
    const apply = await raw(env, 'PATCH', `${configmaps()}/p`, {
      rawBody: 'data: {}',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    // Server-side apply is served; without a fieldManager it is 422, as kube-apiserver answers.
    expect(apply.status).to.equal(422);
    expect(apply.json).to.include({
      message:
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    });
    await stillServing();
  });

  it('answers 405 for a method the API does not have and 422 for an unknown propagationPolicy', async () => {
    expect((await raw(env, 'OPTIONS', configmaps())).status).to.equal(405);
    await raw(env, 'POST', configmaps(), { body: { metadata: { name: 'd' } } });
    const response = await raw(env, 'DELETE', `${configmaps()}/d`, {
      body: { propagationPolicy: 'Sometimes' },
    });
    expect(response.status).to.equal(422);
    expect((await raw(env, 'GET', `${configmaps()}?limit=x`)).status).to.equal(400);
  });

  it('honours dryRun=All without storing anything', async () => {
    const created = await raw(env, 'POST', `${configmaps()}?dryRun=All`, {
      body: { metadata: { name: 'dry' } },
    });
    expect(created.status).to.equal(201);
    expect((await raw(env, 'GET', `${configmaps()}/dry`)).status).to.equal(404);
  });
});

describe('envtest discovery', () => {
  const env = useEnvtest();

  it('serves /api, /api/v1, /apis, /apis/GROUP and /apis/GROUP/VERSION', async () => {
    const api = await raw(env, 'GET', '/api');
    expect(api.json).to.include({ kind: 'APIVersions' });
    expect(api.json).to.have.deep.property('versions', ['v1']);
    const v1 = await raw(env, 'GET', '/api/v1');
    const names = (v1.json as { resources: { name: string; namespaced: boolean }[] }).resources.map(
      (r) => r.name,
    );
    expect(names).to.include.members([
      'namespaces',
      'pods',
      'pods/status',
      'nodes',
      'configmaps',
      'secrets',
      'services',
      'serviceaccounts',
      'events',
    ]);
    const apis = await raw(env, 'GET', '/apis');
    const groups = (apis.json as { groups: { name: string }[] }).groups.map((g) => g.name);
    expect(groups).to.include.members([
      'coordination.k8s.io',
      'apps',
      'events.k8s.io',
      'apiextensions.k8s.io',
    ]);
    const coordination = await raw(env, 'GET', '/apis/coordination.k8s.io');
    expect(coordination.json).to.have.nested.property(
      'preferredVersion.groupVersion',
      'coordination.k8s.io/v1',
    );
    const leases = await raw(env, 'GET', '/apis/coordination.k8s.io/v1');
    expect(leases.json).to.have.nested.property('resources[0].kind', 'Lease');
  });

  it('serves an OpenAPI v3 index and documents that declare fieldValidation for kubectl', async () => {
    const root = await raw(env, 'GET', '/openapi/v3');
    const paths = (root.json as { paths: Record<string, { serverRelativeURL: string }> }).paths;
    expect(paths).to.have.property('api/v1');
    const document = await raw(env, 'GET', paths['apis/coordination.k8s.io/v1']?.serverRelativeURL ?? '');
    expect(JSON.stringify(document.json)).to.contain('fieldValidation');
    expect((await raw(env, 'GET', '/openapi/v3/apis/none/v1')).status).to.equal(404);
    expect((await raw(env, 'POST', '/api')).status).to.equal(405);
  });
});

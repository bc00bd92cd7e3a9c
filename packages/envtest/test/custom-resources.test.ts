import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually, raw, rawWatch } from './support/raw-client.js';

const crd = (scope: 'Namespaced' | 'Cluster', plural = 'widgets', kind = 'Widget'): unknown => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.example.com` },
  spec: {
    group: 'example.com',
    scope,
    names: { plural, singular: kind.toLowerCase(), kind, shortNames: ['wd'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
      {
        name: 'v1beta1',
        served: true,
        storage: false,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
});

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

describe('envtest CustomResourceDefinitions', () => {
  const env = useEnvtest();

  it('serves the resources of a CRD at once, in every served version, and lists them in discovery', async () => {
    const created = await raw(env, 'POST', CRDS, { body: crd('Namespaced') });
    expect(created.status).to.equal(201);
    expect(created.json).to.have.nested.property('status.conditions[1].type', 'Established');
    const widgets = `/apis/example.com/v1/namespaces/${env.namespace}/widgets`;
    const widget = await raw(env, 'POST', widgets, {
      body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } },
    });
    expect(widget.status).to.equal(201);
    expect(widget.json).to.have.nested.property('metadata.generation', 1);
    const beta = await raw(env, 'GET', `/apis/example.com/v1beta1/namespaces/${env.namespace}/widgets/w`);
    expect(beta.json).to.have.property('apiVersion', 'example.com/v1beta1');
    const group = await raw(env, 'GET', '/apis/example.com');
    expect(group.json).to.have.nested.property('preferredVersion.version', 'v1');
    const resources = await raw(env, 'GET', '/apis/example.com/v1');
    expect(resources.json).to.have.nested.property('resources[0].name', 'widgets');
    expect(resources.json).to.have.nested.property('resources[1].name', 'widgets/status');
    const all = await raw(env, 'GET', '/apis');
    expect(JSON.stringify(all.json)).to.contain('"name":"example.com"');
    await raw(env, 'DELETE', `${CRDS}/widgets.example.com`);
  });

  it('separates the status subresource from the main resource and bumps generation on spec changes', async () => {
    await raw(env, 'POST', CRDS, { body: crd('Namespaced') });
    const path = `/apis/example.com/v1/namespaces/${env.namespace}/widgets/s`;
    await raw(env, 'POST', `/apis/example.com/v1/namespaces/${env.namespace}/widgets`, {
      body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 's' }, spec: { size: 1 } },
    });
    const status = await raw(env, 'PATCH', `${path}/status`, {
      body: { status: { ready: true }, spec: { size: 99 } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(status.json).to.have.nested.property('status.ready', true);
    expect(status.json).to.have.nested.property('spec.size', 1);
    expect(status.json).to.have.nested.property('metadata.generation', 1);
    const main = await raw(env, 'PATCH', path, {
      body: { status: { ready: false }, spec: { size: 2 } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(main.json).to.have.nested.property('status.ready', true);
    expect(main.json).to.have.nested.property('spec.size', 2);
    expect(main.json).to.have.nested.property('metadata.generation', 2);
    const strategic = await raw(env, 'PATCH', path, {
      body: { spec: { size: 3 } },
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
    });
    expect(strategic.status).to.equal(415);
    expect(strategic.json).to.have.property('reason', 'UnsupportedMediaType');
    await raw(env, 'DELETE', `${CRDS}/widgets.example.com`);
  });

  it('serves cluster-scoped custom resources', async () => {
    await raw(env, 'POST', CRDS, { body: crd('Cluster', 'gadgets', 'Gadget') });
    const created = await raw(env, 'POST', '/apis/example.com/v1/gadgets', {
      body: { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' } },
    });
    expect(created.status).to.equal(201);
    expect(created.json).to.not.have.nested.property('metadata.namespace');
    const namespaced = await raw(env, 'GET', `/apis/example.com/v1/namespaces/${env.namespace}/gadgets`);
    expect(namespaced.status).to.equal(404);
    await raw(env, 'DELETE', `${CRDS}/gadgets.example.com`);
  });

  it('deletes the custom objects (with DELETED events) and stops serving when the CRD is deleted', async () => {
    await raw(env, 'POST', CRDS, { body: crd('Namespaced') });
    const widgets = `/apis/example.com/v1/namespaces/${env.namespace}/widgets`;
    await raw(env, 'POST', widgets, { body: { metadata: { name: 'w' } } });
    const watch = rawWatch(env, `${widgets}?watch=true`);
    await eventually(() => watch.events.length === 1);
    expect((await raw(env, 'DELETE', `${CRDS}/widgets.example.com`)).status).to.equal(200);
    await eventually(() => watch.events.some((event) => event.type === 'DELETED'));
    await eventually(async () => (await raw(env, 'GET', widgets)).status === 404);
    watch.close();
    await watch.ended;
  });

  it('answers 422 for an invalid CRD', async () => {
    const invalid = await raw(env, 'POST', CRDS, {
      body: {
        metadata: { name: 'wrong.example.com' },
        spec: { group: 'example', scope: 'Somewhere', names: {}, versions: [] },
      },
    });
    expect(invalid.status).to.equal(422);
    const fields = (invalid.json as { details: { causes: { field: string }[] } }).details.causes.map(
      (c) => c.field,
    );
    expect(fields).to.include.members([
      'spec.group',
      'spec.names.plural',
      'spec.names.kind',
      'spec.scope',
      'spec.versions',
    ]);
  });
});

describe('envtest Deployments', () => {
  const env = useEnvtest();
  const deployment = (name: string, labels: Record<string, string> = { app: name }): unknown => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  });

  it('defaults, tracks generation and serves the status subresource', async () => {
    const path = `/apis/apps/v1/namespaces/${env.namespace}/deployments`;
    const created = await raw(env, 'POST', path, { body: deployment('web') });
    expect(created.status).to.equal(201);
    expect(created.json).to.have.nested.property('spec.replicas', 1);
    expect(created.json).to.have.nested.property('metadata.generation', 1);
    const status = await raw(env, 'PUT', `${path}/web/status`, {
      body: { ...(created.json as object), status: { replicas: 1, observedGeneration: 1 } },
    });
    expect(status.status).to.equal(200);
    expect(status.json).to.have.nested.property('status.observedGeneration', 1);
    expect(status.json).to.have.nested.property('metadata.generation', 1);
    const scaled = await raw(env, 'PATCH', `${path}/web`, {
      body: { spec: { replicas: 3 }, status: { replicas: 7 } },
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
    });
    expect(scaled.json).to.have.nested.property('metadata.generation', 2);
    expect(scaled.json).to.have.nested.property('status.replicas', 1);
  });

  it('serves the scale subresource (autoscaling/v1 Scale) with conditional updates', async () => {
    const path = `/apis/apps/v1/namespaces/${env.namespace}/deployments`;
    await raw(env, 'POST', path, { body: deployment('scaled') });
    const scale = await raw(env, 'GET', `${path}/scaled/scale`);
    expect(scale.json).to.deep.include({ kind: 'Scale', apiVersion: 'autoscaling/v1' });
    expect(scale.json).to.have.nested.property('spec.replicas', 1);
    expect(scale.json).to.have.nested.property('status.selector', 'app=scaled');
    const stale = structuredClone(scale.json) as {
      metadata: { resourceVersion: string };
      spec: { replicas: number };
    };
    stale.spec.replicas = 4;
    const put = await raw(env, 'PUT', `${path}/scaled/scale`, { body: stale });
    expect(put.json).to.have.nested.property('spec.replicas', 4);
    expect((await raw(env, 'PUT', `${path}/scaled/scale`, { body: stale })).status).to.equal(409);
    const patched = await raw(env, 'PATCH', `${path}/scaled/scale`, {
      body: { spec: { replicas: 2 } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(patched.json).to.have.nested.property('spec.replicas', 2);
    const json = await raw(env, 'PATCH', `${path}/scaled/scale`, {
      body: [{ op: 'replace', path: '/spec/replicas', value: 5 }],
      headers: { 'Content-Type': 'application/json-patch+json' },
    });
    expect(json.json).to.have.nested.property('spec.replicas', 5);
    const read = await raw(env, 'GET', `${path}/scaled`);
    expect(read.json).to.have.nested.property('spec.replicas', 5);
    expect(read.json).to.have.nested.property('metadata.generation', 4);
    const negative = await raw(env, 'PATCH', `${path}/scaled/scale`, {
      body: { spec: { replicas: -1 } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(negative.status).to.equal(422);
    expect(
      (
        await raw(env, 'PATCH', `${path}/scaled/scale`, {
          rawBody: '{}',
          headers: { 'Content-Type': 'text/plain' },
        })
      ).status,
    ).to.equal(415);
    expect((await raw(env, 'DELETE', `${path}/scaled/scale`)).status).to.equal(405);
    const discovery = await raw(env, 'GET', '/apis/apps/v1');
    expect(JSON.stringify(discovery.json)).to.contain('"name":"deployments/scale"');
  });

  it('serves the scale subresource a CRD declares', async () => {
    const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.example.com`;
    await raw(env, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: {
        metadata: { name: `pools.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'pools', kind: 'Pool' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: {
                status: {},
                scale: {
                  specReplicasPath: '.spec.size',
                  statusReplicasPath: '.status.size',
                  labelSelectorPath: '.status.selector',
                },
              },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer' } } },
                    status: {
                      type: 'object',
                      properties: { size: { type: 'integer' }, selector: { type: 'string' } },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    });
    const path = `/apis/${group}/v1/namespaces/${env.namespace}/pools`;
    await raw(env, 'POST', path, { body: { metadata: { name: 'p' }, spec: { size: 1 } } });
    await raw(env, 'PATCH', `${path}/p/status`, {
      body: { status: { size: 1, selector: 'pool=p' } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    const scaled = await raw(env, 'PUT', `${path}/p/scale`, { body: { spec: { replicas: 3 } } });
    expect(scaled.json).to.have.nested.property('spec.replicas', 3);
    expect(scaled.json).to.have.nested.property('status.selector', 'pool=p');
    expect((await raw(env, 'GET', `${path}/p`)).json).to.have.nested.property('spec.size', 3);
    await raw(env, 'DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/pools.${group}`);
  });

  it('answers 422 when the selector does not match the template labels', async () => {
    const response = await raw(env, 'POST', `/apis/apps/v1/namespaces/${env.namespace}/deployments`, {
      body: deployment('bad', { app: 'other' }),
    });
    expect(response.status).to.equal(422);
    expect(response.json).to.have.nested.property('details.group', 'apps');
  });
});

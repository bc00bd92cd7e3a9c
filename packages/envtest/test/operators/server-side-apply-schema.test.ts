import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { certificateCrd } from '../fixtures/certificate-crd.js';
import { raw } from '../support/raw-client.js';
import type { RawResponse } from '../support/raw-client.js';

// Server-side apply as structured-merge-diff types objects: atomic structs and maps owned as one
// field, Apply field sets without `.` members for fields that are structs or maps, and apply
// bodies with fields the schema does not declare refused.

interface ManagedFieldsEntry {
  readonly manager: string;
  readonly operation: string;
  readonly fieldsV1: Record<string, unknown>;
}

function managed(answer: RawResponse, manager: string): ManagedFieldsEntry | undefined {
  const metadata = (answer.json as { metadata?: { managedFields?: ManagedFieldsEntry[] } }).metadata;
  return metadata?.managedFields?.find((entry) => entry.manager === manager);
}

function service(selector: Record<string, string>): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'svc' },
    spec: { selector, ports: [{ port: 80, protocol: 'TCP' }] },
  };
}

/** A CRD whose schema marks a map atomic, one granular, and a field that keeps unknown fields. */
function widgetCrd(group: string): unknown {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    selector: {
                      type: 'object',
                      additionalProperties: { type: 'string' },
                      'x-kubernetes-map-type': 'atomic',
                    },
                    target: {
                      type: 'object',
                      'x-kubernetes-map-type': 'atomic',
                      properties: { name: { type: 'string' }, kind: { type: 'string' } },
                    },
                    tags: {
                      type: 'object',
                      additionalProperties: { type: 'string' },
                      'x-kubernetes-map-type': 'granular',
                    },
                    ports: {
                      type: 'array',
                      'x-kubernetes-list-type': 'atomic',
                      items: { type: 'integer' },
                    },
                    config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

describe('envtest server-side apply by schema', () => {
  const env = useEnvtest();
  const services = (): string => `/api/v1/namespaces/${env.namespace}/services`;

  function apply(path: string, body: unknown, manager: string, query = ''): Promise<RawResponse> {
    return raw(env, 'PATCH', `${path}?fieldManager=${manager}${query}`, {
      rawBody: JSON.stringify(body),
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
  }

  describe('atomic maps and structs', () => {
    it("owns a Service's selector (mapType=atomic) as one field: another applier conflicts, force replaces it", async () => {
      const first = await apply(`${services()}/svc`, service({ a: '1' }), 'a');
      expect(first.status, first.text).to.equal(201);
      expect(managed(first, 'a')?.fieldsV1).to.have.deep.nested.property('f:spec.f:selector', {});
      const conflict = await apply(`${services()}/svc`, service({ b: '2' }), 'b');
      expect(conflict.status, conflict.text).to.equal(409);
      expect(conflict.json).to.deep.include({
        message: 'Apply failed with 1 conflict: conflict with "a": .spec.selector',
        reason: 'Conflict',
        details: {
          causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.selector' }],
        },
      });
      const forced = await apply(`${services()}/svc`, service({ b: '2' }), 'b', '&force=true');
      expect(forced.status, forced.text).to.equal(200);
      expect(forced.json).to.have.deep.nested.property('spec.selector', { b: '2' });
      expect(managed(forced, 'a')?.fieldsV1).not.to.have.nested.property('f:spec.f:selector');
      expect(managed(forced, 'b')?.fieldsV1).to.have.deep.nested.property('f:spec.f:selector', {});
    });

    it("owns a Deployment's LabelSelector, nodeSelector and secretKeyRef (structType/mapType=atomic) as one field each", async () => {
      const path = `/apis/apps/v1/namespaces/${env.namespace}/deployments/web`;
      const body = (app: string): unknown => ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app } },
          template: {
            metadata: { labels: { app } },
            spec: {
              nodeSelector: { disk: 'ssd' },
              containers: [
                {
                  name: 'c',
                  image: 'nginx',
                  env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
                },
              ],
            },
          },
        },
      });
      const created = await apply(path, body('web'), 'deployer');
      expect(created.status, created.text).to.equal(201);
      const fields = managed(created, 'deployer')?.fieldsV1;
      expect(fields).to.have.deep.nested.property('f:spec.f:selector', {});
      const podSpec = (fields?.['f:spec'] as Record<string, Record<string, Record<string, unknown>>>)[
        'f:template'
      ]?.['f:spec'];
      expect(podSpec?.['f:nodeSelector']).to.deep.equal({});
      expect(podSpec?.['f:containers']).to.deep.equal({
        'k:{"name":"c"}': {
          '.': {},
          'f:name': {},
          'f:image': {},
          'f:env': { 'k:{"name":"P"}': { '.': {}, 'f:name': {}, 'f:valueFrom': { 'f:secretKeyRef': {} } } },
        },
      });
    });

    it("records a CRD's spec.versions (listType=atomic) as one field", async () => {
      const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.atomic.example.com`;
      const crd = certificateCrd(group) as { metadata: { name: string } };
      const created = await apply(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
        crd,
        'installer',
      );
      expect(created.status, created.text).to.equal(201);
      expect(managed(created, 'installer')?.fieldsV1).to.have.deep.nested.property('f:spec.f:versions', {});
    });

    it("merges a webhook configuration's webhooks by name, owning their LabelSelectors whole, and an Event's involvedObject whole", async () => {
      const path = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${env.namespace}-hooks`;
      const hook = (name: string): unknown => ({
        name,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        clientConfig: { url: 'https://hooks.example.com/validate' },
        namespaceSelector: { matchLabels: { team: name } },
      });
      const config = (name: string): unknown => ({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: `${env.namespace}-hooks` },
        webhooks: [hook(name)],
      });
      expect((await apply(path, config('a.example.com'), 'a')).status).to.equal(201);
      const both = await apply(path, config('b.example.com'), 'b');
      expect(both.status, both.text).to.equal(200);
      expect((both.json as { webhooks: { name: string }[] }).webhooks.map((w) => w.name)).to.deep.equal([
        'a.example.com',
        'b.example.com',
      ]);
      const webhooks = managed(both, 'b')?.fieldsV1['f:webhooks'] as Record<string, Record<string, unknown>>;
      expect(webhooks['k:{"name":"b.example.com"}']?.['f:namespaceSelector']).to.deep.equal({});
      const event = await apply(
        `/api/v1/namespaces/${env.namespace}/events/e`,
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: 'e' },
          involvedObject: { kind: 'Pod', name: 'p', namespace: env.namespace },
          reason: 'Started',
          message: 'started',
        },
        'kubelet',
      );
      expect(event.status, event.text).to.equal(201);
      expect(managed(event, 'kubelet')?.fieldsV1).to.have.deep.property('f:involvedObject', {});
    });

    it('honours x-kubernetes-map-type atomic and granular and x-kubernetes-list-type atomic of a CRD schema', async () => {
      const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.widgets.example.com`;
      const crd = await raw(env, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
        body: widgetCrd(group),
      });
      expect(crd.status, crd.text).to.equal(201);
      const path = `/apis/${group}/v1/namespaces/${env.namespace}/widgets/w`;
      const widget = (spec: Record<string, unknown>): unknown => ({
        apiVersion: `${group}/v1`,
        kind: 'Widget',
        metadata: { name: 'w' },
        spec,
      });
      const first = await apply(
        path,
        widget({
          selector: { a: '1' },
          target: { name: 'x' },
          tags: { a: '1' },
          ports: [1],
          config: { deep: { x: 1 } },
        }),
        'a',
      );
      expect(first.status, first.text).to.equal(201);
      expect(managed(first, 'a')?.fieldsV1).to.deep.equal({
        'f:spec': {
          'f:selector': {},
          'f:target': {},
          'f:tags': { 'f:a': {} },
          'f:ports': {},
          // Below x-kubernetes-preserve-unknown-fields every field is an undeclared map key.
          'f:config': { 'f:deep': { '.': {}, 'f:x': {} } },
        },
      });
      const merged = await apply(path, widget({ tags: { b: '2' } }), 'b');
      expect(merged.status, merged.text).to.equal(200);
      expect(merged.json).to.have.deep.nested.property('spec.tags', { a: '1', b: '2' });
      const conflict = await apply(
        path,
        widget({ selector: { b: '2' }, target: { kind: 'K' }, ports: [2] }),
        'b',
      );
      expect(conflict.status, conflict.text).to.equal(409);
      expect(
        (conflict.json as { details: { causes: { field: string }[] } }).details.causes.map(
          (cause) => cause.field,
        ),
      ).to.have.members(['.spec.selector', '.spec.target', '.spec.ports']);
    });
  });

  describe('apply field sets', () => {
    const configMaps = (): string => `/api/v1/namespaces/${env.namespace}/configmaps`;
    const configMap = (data: Record<string, string>, labels?: Record<string, string>): unknown => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', ...(labels === undefined ? {} : { labels }) },
      data,
    });

    it('owns an empty map applied as a field of its own, which changes no key of another manager', async () => {
      expect((await apply(`${configMaps()}/cm`, configMap({ a: '1' }), 'a')).status).to.equal(201);
      const empty = await apply(`${configMaps()}/cm`, configMap({}), 'b');
      expect(empty.status, empty.text).to.equal(200);
      expect(empty.json).to.have.deep.nested.property('data', { a: '1' });
      expect(managed(empty, 'b')?.fieldsV1).to.deep.equal({ 'f:data': {} });
    });

    it('drops a map the removal of its last applied key leaves empty', async () => {
      expect((await apply(`${configMaps()}/cm`, configMap({ a: '1' }, { l: 'x' }), 'a')).status).to.equal(
        201,
      );
      const shrunk = await apply(`${configMaps()}/cm`, configMap({ a: '1' }), 'a');
      expect(shrunk.status, shrunk.text).to.equal(200);
      expect(shrunk.json).not.to.have.nested.property('metadata.labels');
      expect(managed(shrunk, 'a')?.fieldsV1).to.deep.equal({ 'f:data': { 'f:a': {} } });
    });
  });

  describe('fields the schema does not declare', () => {
    const configMaps = (): string => `/api/v1/namespaces/${env.namespace}/configmaps`;

    for (const validation of [
      '',
      '&fieldValidation=Ignore',
      '&fieldValidation=Warn',
      '&fieldValidation=Strict',
    ]) {
      it(`fails the apply with 500, as kube-apiserver's field manager does (${validation || 'default'})`, async () => {
        const answer = await apply(
          `${configMaps()}/cm`,
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, dataa: { a: '1' } },
          'm',
          validation,
        );
        expect(answer.status, answer.text).to.equal(500);
        // The message names the object as the body does: this one names no namespace.
        expect(answer.json).to.deep.equal({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `failed to create typed patch object (/cm; /v1, Kind=ConfigMap): .dataa: field not declared in schema`,
          code: 500,
        });
        expect((await raw(env, 'GET', `${configMaps()}/cm`)).status).to.equal(404);
      });
    }

    it('names each undeclared field by its path, list items by their keys', async () => {
      const answer = await apply(
        `/apis/apps/v1/namespaces/${env.namespace}/deployments/web`,
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: env.namespace, labelz: {} },
          spec: {
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'c', image: 'nginx', imagee: 'x' }] },
            },
          },
        },
        'm',
      );
      expect(answer.status, answer.text).to.equal(500);
      expect((answer.json as { message: string }).message).to.equal(
        `failed to create typed patch object (${env.namespace}/web; apps/v1, Kind=Deployment): errors:\n` +
          '  .metadata.labelz: field not declared in schema\n' +
          '  .spec.template.spec.containers[name="c"].imagee: field not declared in schema',
      );
    });

    it('fails for a custom resource field outside its schema, not below x-kubernetes-preserve-unknown-fields', async () => {
      const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.unknown.example.com`;
      await raw(env, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
        body: widgetCrd(group),
      });
      const path = `/apis/${group}/v1/namespaces/${env.namespace}/widgets/w`;
      const refused = await apply(
        path,
        { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: { bogus: 1 } },
        'm',
      );
      expect(refused.status, refused.text).to.equal(500);
      expect((refused.json as { message: string }).message).to.equal(
        `failed to create typed patch object (/w; ${group}/v1, Kind=Widget): .spec.bogus: field not declared in schema`,
      );
      const kept = await apply(
        path,
        { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: { config: { any: 1 } } },
        'm',
      );
      expect(kept.status, kept.text).to.equal(201);
      expect(kept.json).to.have.deep.nested.property('spec.config', { any: 1 });
    });
  });
});

import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import type { TestEnvtest } from '@kubekit/envtest/testing';
import { raw } from '../support/raw-client.js';

interface ServedResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
}

interface ServedKind {
  readonly group: string;
  readonly version: string;
  readonly resource: ServedResource;
}

/** Every creatable built-in kind discovery lists (groups served by CRDs left out). */
async function servedBuiltinKinds(env: TestEnvtest): Promise<ServedKind[]> {
  const crds = (await raw(env, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).json as {
    items: { spec: { group: string } }[];
  };
  const custom = new Set(crds.items.map((crd) => crd.spec.group));
  const groups = (await raw(env, 'GET', '/apis')).json as {
    groups: { name: string; versions: { version: string }[] }[];
  };
  const versions = [
    { group: '', version: 'v1', path: '/api/v1' },
    ...groups.groups
      .filter((group) => !custom.has(group.name))
      .flatMap((group) =>
        group.versions.map(({ version }) => ({
          group: group.name,
          version,
          path: `/apis/${group.name}/${version}`,
        })),
      ),
  ];
  const kinds: ServedKind[] = [];
  for (const { group, version, path } of versions) {
    const list = (await raw(env, 'GET', path)).json as { resources: ServedResource[] };
    for (const resource of list.resources) {
      if (resource.name.includes('/') || !resource.verbs.includes('create')) continue;
      kinds.push({ group, version, resource });
    }
  }
  return kinds;
}

function collectionPath(env: TestEnvtest, served: ServedKind): string {
  const base = served.group === '' ? '/api/v1' : `/apis/${served.group}/${served.version}`;
  const namespace = served.resource.namespaced ? `/namespaces/${env.namespace}` : '';
  return `${base}${namespace}/${served.resource.name}`;
}

function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** One valid object of each kind the Warn test writes, with unknown fields at several depths. */
function typos(env: TestEnvtest): {
  path: string;
  body: Record<string, unknown>;
  unknown: string[];
}[] {
  const ns = env.namespace;
  const suffix = ns.replace(/[^a-z0-9]/g, '');
  return [
    {
      path: '/api/v1/nodes',
      body: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: `node-${suffix}` },
        bogus: 1,
        spec: { podCIDR: '10.0.0.0/24', podCIDRR: '10.0.0.0/24' },
      },
      unknown: ['bogus', 'spec.podCIDRR'],
    },
    {
      path: `/api/v1/namespaces/${ns}/events`,
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'core-typo' },
        involvedObject: { kind: 'Pod', name: 'p', namespace: ns },
        reason: 'Started',
        message: 'started',
        messagee: 'started',
      },
      unknown: ['messagee'],
    },
    {
      path: `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
      body: {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'events-typo' },
        eventTime: '2026-01-01T00:00:00.000000Z',
        reportingController: 'example.com/controller',
        reportingInstance: 'controller-1',
        action: 'Start',
        reason: 'Started',
        regarding: { kind: 'Pod', name: 'p', namespace: ns },
        note: 'started',
        messagee: 'started',
      },
      unknown: ['messagee'],
    },
    {
      path: `/apis/coordination.k8s.io/v1beta1/namespaces/${ns}/leasecandidates`,
      body: {
        apiVersion: 'coordination.k8s.io/v1beta1',
        kind: 'LeaseCandidate',
        metadata: { name: 'candidate' },
        spec: { leaseName: 'leader', strategy: 'OldestEmulationVersion', leaseNamee: 'x' },
      },
      unknown: ['spec.leaseNamee'],
    },
    {
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `widgets.${suffix}.fvk.example.com` },
        spec: {
          group: `${suffix}.fvk.example.com`,
          scope: 'Namespaced',
          names: { plural: 'widgets', kind: 'Widget' },
          namez: { plural: 'widgets', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object' } },
            },
          ],
        },
      },
      unknown: ['spec.namez'],
    },
  ];
}

describe('envtest fieldValidation on every built-in kind', () => {
  const env = useEnvtest();

  it('Strict answers 400 for a top-level unknown field on every creatable kind discovery lists', async () => {
    const kinds = await servedBuiltinKinds(env);
    expect(kinds.map((served) => served.resource.kind)).to.include.members([
      'Node',
      'Event',
      'LeaseCandidate',
      'CustomResourceDefinition',
    ]);
    const wrong: string[] = [];
    for (const served of kinds) {
      const { kind } = served.resource;
      const answer = await raw(env, 'POST', `${collectionPath(env, served)}?fieldValidation=Strict`, {
        body: {
          apiVersion: apiVersionOf(served.group, served.version),
          kind,
          metadata: { name: 'strict-typo' },
          bogus: 1,
        },
      });
      const status = answer.json as { reason?: string; message?: string } | undefined;
      const expected = `${kind} in version "${served.version}" cannot be handled as a ${kind}: strict decoding error: unknown field "bogus"`;
      if (answer.status !== 400 || status?.reason !== 'BadRequest' || status.message !== expected) {
        wrong.push(`${apiVersionOf(served.group, served.version)} ${kind}: ${answer.status} ${answer.text}`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it('Strict names unknown fields below the top level too (Node spec, CRD spec)', async () => {
    for (const { path, body, unknown } of typos(env)) {
      const answer = await raw(env, 'POST', `${path}?fieldValidation=Strict`, { body });
      const kind = body['kind'] as string;
      const version = (body['apiVersion'] as string).split('/').pop() ?? '';
      expect(answer.status, path).to.equal(400);
      expect(answer.json, path).to.include({
        reason: 'BadRequest',
        message: `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${unknown
          .map((field) => `unknown field "${field}"`)
          .join(', ')}`,
      });
    }
  });

  it('Warn stores Nodes, both Events, LeaseCandidates and CRDs without the unknown fields, with a Warning each', async () => {
    for (const { path, body, unknown } of typos(env)) {
      const answer = await raw(env, 'POST', `${path}?fieldValidation=Warn`, { body });
      expect(answer.status, `${path}: ${answer.text}`).to.equal(201);
      expect(answer.headers['warning'], path).to.equal(
        unknown.map((field) => `299 - "unknown field \\"${field}\\""`).join(', '),
      );
      for (const field of unknown) expect(answer.json, path).not.to.have.nested.property(field);
      const name = (body['metadata'] as { name: string }).name;
      const stored = await raw(env, 'GET', `${path}/${name}`);
      for (const field of unknown) expect(stored.json, path).not.to.have.nested.property(field);
    }
  });
});

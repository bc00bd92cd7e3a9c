import { expect } from 'chai';
import { humanDuration, simpleJsonPath, wantsTable } from '#lib/http/table.js';
import { useEnvtest } from '@kubekit/envtest/testing';
import { raw, rawWatch, eventually } from './support/raw-client.js';

const KUBECTL_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('humanDuration', () => {
  const cases: [number, string][] = [
    [-5000, '<invalid>'],
    [-500, '0s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [125_000, '2m5s'],
    [300_000, '5m'],
    [3_600_000, '60m'],
    [4 * 3_600_000 + 60_000, '4h1m'],
    [5 * 3_600_000, '5h'],
    [30 * 3_600_000, '30h'],
    [3 * 86_400_000 + 3_600_000, '3d1h'],
    [3 * 86_400_000, '3d'],
    [100 * 86_400_000, '100d'],
    [3 * 365 * 86_400_000 + 86_400_000, '3y1d'],
    [3 * 365 * 86_400_000, '3y'],
    [10 * 365 * 86_400_000, '10y'],
  ];
  for (const [ms, expected] of cases) {
    it(`shows ${ms} ms as ${expected}`, () => {
      expect(humanDuration(ms)).to.equal(expected);
    });
  }
});

describe('wantsTable', () => {
  it('recognises the Accept header of kubectl get and nothing else', () => {
    expect(wantsTable(KUBECTL_ACCEPT)).to.equal(true);
    expect(wantsTable('application/json')).to.equal(false);
    expect(wantsTable(undefined)).to.equal(false);
    expect(wantsTable('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io')).to.equal(false);
    expect(
      wantsTable('application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json'),
    ).to.equal(false);
  });
});

describe('simpleJsonPath', () => {
  it('reads dotted paths with indexes and gives up on filters', () => {
    const object = { spec: { size: 3, items: [{ name: 'a' }] } };
    expect(simpleJsonPath(object, '.spec.size')).to.equal(3);
    expect(simpleJsonPath(object, '.spec.items[0].name')).to.equal('a');
    expect(simpleJsonPath(object, '.spec.missing.deeper')).to.equal(undefined);
    expect(simpleJsonPath(object, '.spec.items[?(@.name=="a")].name')).to.equal(undefined);
    expect(simpleJsonPath(object, '.spec.size[0]')).to.equal(undefined);
  });
});

describe('envtest Table output (kubectl get)', () => {
  const env = useEnvtest();
  const headers = { Accept: KUBECTL_ACCEPT };

  it('lists Leases as a Table with the Holder column and partial object metadata', async () => {
    await raw(env, 'POST', `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases`, {
      body: { metadata: { name: 'l' }, spec: { holderIdentity: 'me' } },
    });
    const list = await raw(env, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases`, {
      headers,
    });
    expect(list.json).to.include({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(list.json).to.have.nested.property('columnDefinitions[1].name', 'Holder');
    expect(list.json).to.have.nested.property('rows[0].cells[0]', 'l');
    expect(list.json).to.have.nested.property('rows[0].cells[1]', 'me');
    expect(list.json).to.have.nested.property('rows[0].object.kind', 'PartialObjectMetadata');
    const one = await raw(
      env,
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases/l?includeObject=Object`,
      {
        headers,
      },
    );
    expect(one.json).to.have.nested.property('rows[0].object.spec.holderIdentity', 'me');
    const none = await raw(
      env,
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases?includeObject=None`,
      {
        headers,
      },
    );
    expect(none.json).to.not.have.nested.property('rows[0].object');
  });

  it('prints the columns of pods, nodes, namespaces, configmaps, secrets, services and deployments', async () => {
    const ns = env.namespace;
    await raw(env, 'POST', `/api/v1/namespaces/${ns}/pods`, {
      body: { metadata: { name: 'p' }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i' }] } },
    });
    await env.cluster.setNodeReady(`node-${ns}`, 'False');
    await raw(env, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: { metadata: { name: 'c' }, data: { a: '1' } },
    });
    await raw(env, 'POST', `/api/v1/namespaces/${ns}/secrets`, {
      body: { metadata: { name: 's' }, data: { a: 'MQ==' } },
    });
    await raw(env, 'POST', `/api/v1/namespaces/${ns}/services`, {
      body: { metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } },
    });
    await raw(env, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
      body: {
        metadata: { name: 'd' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { a: 'b' } },
          template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      },
    });
    const cells = async (path: string): Promise<unknown[]> => {
      const response = await raw(env, 'GET', path, { headers });
      return (response.json as { rows: { cells: unknown[] }[] }).rows[0]?.cells ?? [];
    };
    expect(await cells(`/api/v1/namespaces/${ns}/pods`)).to.deep.include.members([
      'p',
      '0/1',
      'Pending',
      0,
      'n',
    ]);
    expect(await cells(`/api/v1/nodes?fieldSelector=metadata.name%3Dnode-${ns}`)).to.include('NotReady');
    expect(await cells(`/api/v1/namespaces?fieldSelector=metadata.name%3D${ns}`)).to.include('Active');
    expect(await cells(`/api/v1/namespaces/${ns}/configmaps`)).to.include(1);
    expect(await cells(`/api/v1/namespaces/${ns}/secrets`)).to.include('Opaque');
    expect(await cells(`/api/v1/namespaces/${ns}/services`)).to.include('80/TCP');
    expect(await cells(`/apis/apps/v1/namespaces/${ns}/deployments`)).to.include('0/2');
    expect(await cells(`/api/v1/namespaces/${ns}/serviceaccounts`)).to.deep.equal([]);
    await raw(env, 'POST', `/api/v1/namespaces/${ns}/events`, {
      body: {
        metadata: { name: 'e' },
        involvedObject: { kind: 'Lease', name: 'lock', namespace: ns },
        type: 'Normal',
        reason: 'LeaderElection',
        message: 'a became leader',
        lastTimestamp: new Date(Date.now() - 65_000).toISOString(),
      },
    });
    const event = await cells(`/api/v1/namespaces/${ns}/events`);
    expect(event[0]).to.match(/^6\ds$/);
    expect(event.slice(1)).to.deep.equal(['Normal', 'LeaderElection', 'lease/lock', 'a became leader', 'e']);
  });

  it('shows the additionalPrinterColumns of a CRD', async () => {
    const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.example.com`;
    await raw(env, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: {
        metadata: { name: `gizmos.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'gizmos', kind: 'Gizmo' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
              additionalPrinterColumns: [
                { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
                { name: 'Color', type: 'string', jsonPath: '.spec.color', priority: 1 },
                { name: 'Since', type: 'date', jsonPath: '.metadata.creationTimestamp' },
                { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
              ],
            },
          ],
        },
      },
    });
    const path = `/apis/${group}/v1/namespaces/${env.namespace}/gizmos`;
    await raw(env, 'POST', path, { body: { metadata: { name: 'g' }, spec: { size: 3, color: 'red' } } });
    const table = await raw(env, 'GET', path, { headers });
    const columns = (table.json as { columnDefinitions: Record<string, unknown>[] }).columnDefinitions;
    // kube-apiserver adds its default Age column only to a CRD that declares no columns.
    expect(columns.slice(1)).to.deep.equal([
      {
        name: 'Size',
        type: 'integer',
        format: '',
        description: 'Custom resource definition column (in JSONPath format): .spec.size',
        priority: 0,
      },
      {
        name: 'Color',
        type: 'string',
        format: '',
        description: 'Custom resource definition column (in JSONPath format): .spec.color',
        priority: 1,
      },
      {
        name: 'Since',
        type: 'date',
        format: '',
        description: 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp',
        priority: 0,
      },
      {
        name: 'Ready',
        type: 'string',
        format: '',
        description:
          'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].status',
        priority: 0,
      },
    ]);
    expect(columns[0]).to.include({ name: 'Name', type: 'string', format: 'name', priority: 0 });
    const cells = (table.json as { rows: { cells: unknown[] }[] }).rows[0]?.cells;
    expect(cells).to.have.length(5);
    expect(cells?.slice(0, 3)).to.deep.equal(['g', 3, 'red']);
    expect(cells?.[3]).to.match(/^\d+s$/);
    // A path that finds nothing is a null cell (kubectl prints <none>).
    expect(cells?.[4]).to.equal(null);
    await raw(env, 'DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.${group}`);
  });

  it('gives a CRD that declares no columns the default Age column', async () => {
    const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.plain.example.com`;
    await raw(env, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: {
        metadata: { name: `plains.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'plains', kind: 'Plain' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      },
    });
    const path = `/apis/${group}/v1/namespaces/${env.namespace}/plains`;
    await raw(env, 'POST', path, { body: { metadata: { name: 'p' } } });
    const table = await raw(env, 'GET', path, { headers });
    const columns = (table.json as { columnDefinitions: Record<string, unknown>[] }).columnDefinitions;
    expect(columns.map((c) => c['name'])).to.deep.equal(['Name', 'Age']);
    expect(columns[1]).to.deep.equal({
      name: 'Age',
      type: 'date',
      format: '',
      description: 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp',
      priority: 0,
    });
    const cells = (table.json as { rows: { cells: unknown[] }[] }).rows[0]?.cells;
    expect(cells?.[0]).to.equal('p');
    expect(cells?.[1]).to.match(/^\d+s$/);
    await raw(env, 'DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/plains.${group}`);
  });

  it('streams one-row Tables on a watch, with column definitions in the first event only', async () => {
    const path = `/api/v1/namespaces/${env.namespace}/configmaps`;
    await raw(env, 'POST', path, { body: { metadata: { name: 'a' } } });
    const watch = rawWatch(env, `${path}?watch=true`, undefined, headers);
    await eventually(() => watch.events.length === 1);
    await raw(env, 'POST', path, { body: { metadata: { name: 'b' } } });
    await eventually(() => watch.events.length === 2);
    const tables = watch.events.map(
      (event) => event.object as { kind?: string; columnDefinitions?: unknown[] },
    );
    expect(tables[0]?.kind).to.equal('Table');
    expect(tables[0]?.columnDefinitions).to.have.length(3);
    expect(tables[1]?.columnDefinitions).to.have.length(0);
    watch.close();
    await watch.ended;
  });
});

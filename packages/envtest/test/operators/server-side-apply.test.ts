import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { certificateCrd } from '../fixtures/certificate-crd.js';
import { useKubectl } from '../support/kubectl.js';
import { raw } from '../support/raw-client.js';
import type { RawResponse } from '../support/raw-client.js';

interface ManagedFieldsEntry {
  readonly manager: string;
  readonly operation: string;
  readonly apiVersion: string;
  readonly time: string;
  readonly fieldsType: string;
  readonly fieldsV1: Record<string, unknown>;
  readonly subresource?: string;
}

interface Applied {
  readonly metadata: { labels?: Record<string, string>; managedFields?: ManagedFieldsEntry[] };
  readonly spec: Record<string, unknown>;
}

function deployment(replicas: number, labels: Record<string, string> = { app: 'web' }): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
      },
    },
  };
}

function managed(answer: RawResponse, manager: string): ManagedFieldsEntry | undefined {
  return (answer.json as Applied).metadata.managedFields?.find((entry) => entry.manager === manager);
}

describe('envtest server-side apply', () => {
  const env = useEnvtest();
  const kubectl = useKubectl(env);
  const deployments = (): string => `/apis/apps/v1/namespaces/${env.namespace}/deployments`;

  function apply(path: string, body: unknown, manager: string, force = false): Promise<RawResponse> {
    return raw(env, 'PATCH', `${path}?fieldManager=${manager}${force ? '&force=true' : ''}`, {
      rawBody: JSON.stringify(body),
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
  }

  it('creates with apply and records the applier in managedFields (FieldsV1)', async () => {
    const created = await apply(`${deployments()}/web`, deployment(2), 'deployer');
    expect(created.status).to.equal(201);
    const entry = managed(created, 'deployer');
    expect(entry).to.include({ operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    expect(entry?.time).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    // As structured-merge-diff's ToFieldSet records an apply: a struct or map field with
    // contents gets no `.` member (only list items, undeclared map keys and empty or null values
    // do), and the atomic LabelSelector (`+structType=atomic`) is one field.
    expect(entry?.fieldsV1).to.deep.equal({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
    expect(created.json).to.have.nested.property('spec.strategy.type', 'RollingUpdate');
  });

  it('accepts YAML and updates what the manager applies', async () => {
    await apply(`${deployments()}/web`, deployment(1), 'deployer');
    const yaml = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  labels: {app: web}',
      'spec:',
      '  replicas: 4',
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata: {labels: {app: web}}',
      '    spec:',
      '      containers:',
      '      - name: nginx',
      '        image: nginx:1.28',
    ].join('\n');
    const updated = await raw(env, 'PATCH', `${deployments()}/web?fieldManager=deployer`, {
      rawBody: yaml,
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    expect(updated.status).to.equal(200);
    expect(updated.json).to.have.nested.property('spec.replicas', 4);
    expect(updated.json).to.have.nested.property('spec.template.spec.containers[0].image', 'nginx:1.28');
    expect((updated.json as Applied).metadata.managedFields).to.have.length(1);
  });

  it("answers 409 for another manager's field with a different value, as kube-apiserver words it", async () => {
    await apply(`${deployments()}/web`, deployment(1), 'deployer');
    const scaled = await raw(env, 'PATCH', `${deployments()}/web?fieldManager=autoscaler`, {
      body: { spec: { replicas: 3 } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(managed(scaled, 'autoscaler')).to.deep.include({
      operation: 'Update',
      apiVersion: 'apps/v1',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    });
    expect(managed(scaled, 'deployer')?.fieldsV1).not.to.have.nested.property('f:spec.f:replicas');
    const conflict = await apply(`${deployments()}/web`, deployment(5), 'deployer');
    expect(conflict.status).to.equal(409);
    expect(conflict.json).to.deep.equal({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "autoscaler" using apps/v1: .spec.replicas',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "autoscaler" using apps/v1',
            field: '.spec.replicas',
          },
        ],
      },
      code: 409,
    });
    const same = await apply(`${deployments()}/web`, deployment(3), 'deployer');
    expect(same.status, 'the same value is shared ownership, not a conflict').to.equal(200);
    const forced = await apply(`${deployments()}/web`, deployment(6), 'deployer', true);
    expect(forced.status).to.equal(200);
    expect(forced.json).to.have.nested.property('spec.replicas', 6);
    expect(managed(forced, 'autoscaler')).to.equal(undefined);
    expect(managed(forced, 'deployer')?.fieldsV1).to.have.nested.property('f:spec.f:replicas');
  });

  it('lists several conflicts by manager', async () => {
    await apply(`${deployments()}/web`, deployment(1), 'deployer');
    await raw(env, 'PATCH', `${deployments()}/web?fieldManager=other`, {
      body: { metadata: { labels: { app: 'x' } }, spec: { replicas: 2 } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    const conflict = await apply(`${deployments()}/web`, deployment(7), 'deployer');
    expect(conflict.status).to.equal(409);
    expect((conflict.json as { message: string }).message).to.equal(
      'Apply failed with 2 conflicts: conflicts with "other" using apps/v1:\n- .metadata.labels.app\n- .spec.replicas',
    );
  });

  it('removes fields a manager stops applying unless another manager owns them', async () => {
    await apply(`${deployments()}/web`, deployment(1, { app: 'web', tier: 'front', team: 'a' }), 'deployer');
    await raw(env, 'PATCH', `${deployments()}/web?fieldManager=labeler`, {
      body: { metadata: { labels: { team: 'b', extra: 'y' } } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    const shrunk = await apply(`${deployments()}/web`, deployment(1, { app: 'web' }), 'deployer');
    expect(shrunk.status).to.equal(200);
    // tier goes; team stays, since the labeler changed it (an update owns what it changes).
    expect((shrunk.json as Applied).metadata.labels).to.deep.equal({ app: 'web', team: 'b', extra: 'y' });
  });

  it('merges list-map items of a CRD schema by their keys, per manager', async () => {
    const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.ssa.example.com`;
    await raw(env, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: certificateCrd(group),
    });
    const path = `/apis/${group}/v1/namespaces/${env.namespace}/certificates/c`;
    const cert = (formats: string[]): unknown => ({
      apiVersion: `${group}/v1`,
      kind: 'Certificate',
      metadata: { name: 'c' },
      spec: {
        secretName: 'c',
        issuerRef: { name: 'ca' },
        additionalOutputFormats: formats.map((type) => ({ type })),
      },
    });
    expect((await apply(path, cert(['DER']), 'a')).status).to.equal(201);
    const both = await apply(
      path,
      { ...(cert(['CombinedPEM']) as object), spec: { additionalOutputFormats: [{ type: 'CombinedPEM' }] } },
      'b',
    );
    expect(both.status, both.text).to.equal(200);
    expect(both.json).to.have.deep.nested.property('spec.additionalOutputFormats', [
      { type: 'DER' },
      { type: 'CombinedPEM' },
    ]);
    expect(managed(both, 'b')?.fieldsV1).to.deep.equal({
      'f:spec': {
        'f:additionalOutputFormats': { 'k:{"type":"CombinedPEM"}': { '.': {}, 'f:type': {} } },
      },
    });
    const dropped = await apply(path, cert([]), 'a');
    expect(dropped.status, dropped.text).to.equal(200);
    expect(dropped.json).to.have.deep.nested.property('spec.additionalOutputFormats', [
      { type: 'CombinedPEM' },
    ]);
  });

  it('applies the status subresource as its own manager entry', async () => {
    await apply(`${deployments()}/web`, deployment(1), 'deployer');
    const status = await raw(env, 'PATCH', `${deployments()}/web/status?fieldManager=controller`, {
      rawBody: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        status: { replicas: 1 },
      }),
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    expect(status.status, status.text).to.equal(200);
    expect(status.json).to.have.nested.property('status.replicas', 1);
    expect(managed(status, 'controller')).to.deep.include({ operation: 'Apply', subresource: 'status' });
    const main = await apply(
      `${deployments()}/web`,
      { ...(deployment(1) as object), status: { replicas: 9 } },
      'deployer',
    );
    expect(main.json).to.have.nested.property('status.replicas', 1);
  });

  it('records updates of create, PUT and merge patch under their field manager', async () => {
    const created = await raw(
      env,
      'POST',
      `/api/v1/namespaces/${env.namespace}/configmaps?fieldManager=maker`,
      {
        body: { metadata: { name: 'cm' }, data: { a: '1' } },
      },
    );
    expect(managed(created, 'maker')).to.deep.include({
      operation: 'Update',
      apiVersion: 'v1',
      fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } },
    });
    const replaced = await raw(
      env,
      'PUT',
      `/api/v1/namespaces/${env.namespace}/configmaps/cm?fieldManager=editor`,
      {
        body: { ...(created.json as object), data: { a: '1', b: '2' } },
      },
    );
    expect(managed(replaced, 'editor')?.fieldsV1).to.deep.equal({ 'f:data': { 'f:b': {} } });
    expect(managed(replaced, 'maker')?.fieldsV1).to.deep.equal({ 'f:data': { '.': {}, 'f:a': {} } });
    const same = await raw(
      env,
      'PUT',
      `/api/v1/namespaces/${env.namespace}/configmaps/cm?fieldManager=third`,
      {
        body: replaced.json,
      },
    );
    expect((same.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion).to.equal(
      (replaced.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
    );
    expect(managed(same, 'third')).to.equal(undefined);
  });

  it('takes managedFields an update rewrites (as kubectl hands fields over), and ignores invalid ones', async () => {
    const path = `/api/v1/namespaces/${env.namespace}/configmaps`;
    const created = await raw(env, 'POST', `${path}?fieldManager=kubectl-client-side-apply`, {
      body: { metadata: { name: 'handover' }, data: { a: '1', b: '2' } },
    });
    expect(created.status).to.equal(201);
    const read = created.json as Applied & { metadata: { resourceVersion: string } };
    const rewritten = await raw(env, 'PUT', `${path}/handover?fieldManager=kubectl-client-side-apply`, {
      body: {
        ...read,
        metadata: {
          ...read.metadata,
          managedFields: [
            {
              manager: 'kubectl',
              operation: 'Apply',
              apiVersion: 'v1',
              time: '2026-01-01T00:00:00Z',
              fieldsType: 'FieldsV1',
              fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } },
            },
          ],
        },
      },
    });
    expect(rewritten.status).to.equal(200);
    const entries = (rewritten.json as Applied).metadata.managedFields ?? [];
    expect(entries.map((entry) => `${entry.manager}/${entry.operation}`)).to.deep.equal(['kubectl/Apply']);
    expect(
      (rewritten.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
    ).to.not.equal(read.metadata.resourceVersion);
    // kubectl now owns both keys by apply: applying without `b` removes it.
    const applied = await apply(
      `${path}/handover`,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'handover' }, data: { a: '1' } },
      'kubectl',
    );
    expect(applied.status).to.equal(200);
    expect((applied.json as { data: Record<string, string> }).data).to.deep.equal({ a: '1' });

    // An entry without a manager does not decode: the stored entries stay, the update is recorded.
    const current = applied.json as Applied;
    const invalid = await raw(env, 'PUT', `${path}/handover?fieldManager=editor`, {
      body: {
        ...current,
        metadata: { ...current.metadata, managedFields: [{ operation: 'Update' }] },
        data: { a: '1', c: '3' },
      },
    });
    expect(invalid.status).to.equal(200);
    // kubectl's entry is its last apply: no `.` for the data map it filled (as for any apply).
    expect(managed(invalid, 'kubectl')?.fieldsV1).to.deep.equal({ 'f:data': { 'f:a': {} } });
    expect(managed(invalid, 'editor')?.fieldsV1).to.deep.equal({ 'f:data': { 'f:c': {} } });
  });

  it('lets kubectl apply --server-side create, conflict with client-side apply, and force', async () => {
    const v1 = await kubectl.manifest('v1', [deployment(1)]);
    await kubectl.ok('apply', '-f', v1);
    const v2 = await kubectl.manifest('v2', [deployment(3)]);
    const conflict = await kubectl.run('apply', '--server-side', '-f', v2);
    expect(conflict.code).to.equal(1);
    expect(conflict.stderr).to.contain(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    const forced = await kubectl.ok('apply', '--server-side', '--force-conflicts', '-f', v2);
    expect(forced).to.contain('deployment.apps/web serverside-applied');
    const shown = JSON.parse(
      await kubectl.ok('get', 'deployment', 'web', '-o', 'json', '--show-managed-fields'),
    ) as Applied;
    expect(shown.spec['replicas']).to.equal(3);
    const managers = (shown.metadata.managedFields ?? []).map(
      (entry) => `${entry.manager}/${entry.operation}`,
    );
    expect(managers).to.include('kubectl/Apply');
    const created = await kubectl.manifest('cm', [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { k: 'v' } },
    ]);
    expect(await kubectl.ok('apply', '--server-side', '-f', created)).to.contain(
      'configmap/ssa serverside-applied',
    );
  });
});

describe('envtest managedFields after the server removes a field', () => {
  const env = useEnvtest();

  it('drops an orphaned owner reference from managedFields when the garbage collector removes it', async () => {
    const path = `/api/v1/namespaces/${env.namespace}/configmaps`;
    await raw(env, 'POST', `${path}?fieldManager=owner`, { body: { metadata: { name: 'owner' } } });
    const owner = await raw(env, 'GET', `${path}/owner`);
    const uid = (owner.json as { metadata: { uid: string } }).metadata.uid;
    await raw(env, 'POST', `${path}?fieldManager=dep`, {
      body: {
        metadata: {
          name: 'dep',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }],
        },
      },
    });
    const deleted = await raw(env, 'DELETE', `${path}/owner`, { body: { propagationPolicy: 'Orphan' } });
    expect(deleted.status).to.equal(200);
    let dep: RawResponse | undefined;
    for (let i = 0; i < 200; i += 1) {
      dep = await raw(env, 'GET', `${path}/dep`);
      if (!JSON.stringify(dep.json).includes('"ownerReferences":[')) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(dep?.json).not.to.have.nested.property('metadata.ownerReferences');
    expect(JSON.stringify(managed(dep!, 'dep')?.fieldsV1 ?? {})).not.to.contain('ownerReferences');
  });
});

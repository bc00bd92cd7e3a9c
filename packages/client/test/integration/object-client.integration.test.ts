import { expect } from 'chai';
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import {
  createClient,
  isAlreadyExists,
  isConflict,
  isInvalid,
  isNotFound,
  KubeClientError,
} from '@kubekit/client';
import type { KubeClient, KubeObject } from '@kubekit/client';
import { rejectionOf } from '../support/rejection.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';

for (const protocol of PROTOCOLS) {
  describe(`KubeClient on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    let client: KubeClient;

    beforeEach(() => {
      client = createClient({ kubeConfig: env.kubeConfig, metrics: null, rateLimit: false });
    });
    afterEach(async () => {
      await client.close();
    });

    function configMap(name: string, data: Record<string, string> = {}): ConfigMap {
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: env.namespace }, data };
    }
    const cmRef = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace, name });

    describe('.create / .get', () => {
      it('creates an object and reads it back as plain JSON', async () => {
        const created = await client.create(configMap('a', { k: 'v' }));
        expect(created.metadata?.uid).to.be.a('string');
        const read = await client.get<ConfigMap>(cmRef('a'));
        expect(read.data).to.deep.equal({ k: 'v' });
        expect(read.metadata?.creationTimestamp).to.be.a('string');
        expect(Object.getPrototypeOf(read)).to.equal(Object.prototype);
      });

      it('rejects a second create with AlreadyExists', async () => {
        await client.create(configMap('a'));
        const error = await rejectionOf(client.create(configMap('a')));
        expect(isAlreadyExists(error)).to.be.true;
        expect(KubeClientError.is(error, 'api')).to.be.true;
        expect((error as KubeClientError).code).to.equal(409);
        expect((error as KubeClientError).details?.name).to.equal('a');
      });

      it('rejects a get of a missing object with NotFound', async () => {
        const error = await rejectionOf(client.get(cmRef('missing')));
        expect(isNotFound(error)).to.be.true;
        expect((error as KubeClientError).details?.kind).to.equal('configmaps');
      });

      it('serves cluster-scoped kinds without a namespace', async () => {
        const ns = await client.get({ apiVersion: 'v1', kind: 'Namespace', name: env.namespace });
        expect(ns.metadata?.name).to.equal(env.namespace);
      });

      it('rejects a namespaced object without a namespace, without a request', async () => {
        const error = await rejectionOf(client.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' }));
        expect(KubeClientError.is(error, 'invalidArgument')).to.be.true;
      });

      it('rejects an unknown kind with noKindMatch', async () => {
        const error = await rejectionOf(client.get({ apiVersion: 'v1', kind: 'Nope', name: 'x' }));
        expect(KubeClientError.is(error, 'noKindMatch')).to.be.true;
        const group = await rejectionOf(
          client.get({ apiVersion: 'nope.example.com/v1', kind: 'Nope', name: 'x' }),
        );
        expect(KubeClientError.is(group, 'noKindMatch')).to.be.true;
      });

      it('maps a dry-run create to no stored object', async () => {
        await client.create(configMap('dry'), { dryRun: true });
        expect(isNotFound(await rejectionOf(client.get(cmRef('dry'))))).to.be.true;
      });
    });

    describe('.update', () => {
      it('replaces an object, and rejects a stale resourceVersion with Conflict', async () => {
        const created = await client.create(configMap('a', { k: '1' }));
        const updated = await client.update({ ...created, data: { k: '2' } });
        expect(updated.data).to.deep.equal({ k: '2' });
        expect(updated.metadata?.resourceVersion).to.not.equal(created.metadata?.resourceVersion);
        const error = await rejectionOf(client.update({ ...created, data: { k: '3' } }));
        expect(isConflict(error)).to.be.true;
      });

      it('rejects an invalid object with Invalid and its causes', async () => {
        const lease: Lease = {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: 'l', namespace: env.namespace },
          spec: { leaseDurationSeconds: -1 },
        };
        const error = await rejectionOf(client.create(lease));
        expect(isInvalid(error)).to.be.true;
        expect((error as KubeClientError).causes.map((c) => c.field)).to.include('spec.leaseDurationSeconds');
      });
    });

    describe('.patch', () => {
      it('applies merge, JSON and strategic merge patches', async () => {
        await client.create(configMap('a', { k: '1' }));
        const merged = await client.patch<ConfigMap>(cmRef('a'), { data: { m: 'x' } });
        expect(merged.data).to.deep.equal({ k: '1', m: 'x' });
        const json = await client.patch<ConfigMap>(cmRef('a'), [{ op: 'remove', path: '/data/k' }], {
          type: 'json',
        });
        expect(json.data).to.deep.equal({ m: 'x' });
        const pod: Pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p', namespace: env.namespace },
          spec: {
            containers: [
              { name: 'a', image: 'a' },
              { name: 'b', image: 'b' },
            ],
          },
        };
        await client.create(pod);
        const patched = await client.patch<Pod>(
          { apiVersion: 'v1', kind: 'Pod', namespace: env.namespace, name: 'p' },
          { spec: { containers: [{ name: 'b', image: 'b2' }] } },
          { type: 'strategic' },
        );
        expect(patched.spec?.containers.map((c) => `${c.name}=${c.image ?? ''}`)).to.deep.equal([
          'a=a',
          'b=b2',
        ]);
      });
    });

    describe('.apply', () => {
      it('applies, reports a conflict with another field manager, and takes the field with force', async () => {
        const created = await client.apply(configMap('ssa', { a: '1' }), { fieldManager: 'first' });
        expect(created.data).to.deep.equal({ a: '1' });
        expect(created.metadata?.managedFields?.map((f) => [f.manager, f.operation])).to.deep.equal([
          ['first', 'Apply'],
        ]);
        const conflict = await rejectionOf(
          client.apply(configMap('ssa', { a: '2' }), { fieldManager: 'second' }),
        );
        expect(isConflict(conflict), String(conflict)).to.be.true;
        expect((conflict as KubeClientError).message).to.include('.data.a');
        const forced = await client.apply(configMap('ssa', { a: '2' }), {
          fieldManager: 'second',
          force: true,
        });
        expect(forced.data).to.deep.equal({ a: '2' });
        const owners = forced.metadata?.managedFields?.map((f) => f.manager);
        expect(owners).to.include('second');
        // A manager that stops applying a field it alone owns removes it.
        const trimmed = await client.apply<ConfigMap>(
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', namespace: env.namespace } },
          { fieldManager: 'second' },
        );
        expect(trimmed.data ?? {}).to.deep.equal({});
      });

      it('requires a fieldManager', async () => {
        const error = await rejectionOf(client.apply(configMap('a'), { fieldManager: '' }));
        expect(KubeClientError.is(error, 'invalidArgument')).to.be.true;
      });
    });

    describe('.delete / .deleteCollection', () => {
      it('deletes with a uid precondition, and refuses a stale one with Conflict', async () => {
        const created = await client.create(configMap('a'));
        const stale = await rejectionOf(client.delete(cmRef('a'), { preconditions: { uid: 'other' } }));
        expect(isConflict(stale)).to.be.true;
        const answer = await client.delete(cmRef('a'), {
          preconditions: { uid: created.metadata?.uid ?? '' },
          propagationPolicy: 'Background',
        });
        expect(answer).to.include({ kind: 'Status' });
        expect(isNotFound(await rejectionOf(client.get(cmRef('a'))))).to.be.true;
      });

      it('keeps an object with a finalizer and answers with it (deletionTimestamp set)', async () => {
        await client.create({
          ...configMap('f'),
          metadata: { name: 'f', namespace: env.namespace, finalizers: ['example.com/x'] },
        });
        await client.delete(cmRef('f'), { propagationPolicy: 'Foreground' });
        const read = await client.get<ConfigMap>(cmRef('f'));
        expect(read.metadata?.deletionTimestamp).to.be.a('string');
        await client.patch(cmRef('f'), { metadata: { finalizers: null } });
        expect(isNotFound(await rejectionOf(client.get(cmRef('f'))))).to.be.true;
      });

      it('deletes a collection by label selector', async () => {
        await client.create({
          ...configMap('x'),
          metadata: { name: 'x', namespace: env.namespace, labels: { app: 'x' } },
        });
        await client.create({
          ...configMap('y'),
          metadata: { name: 'y', namespace: env.namespace, labels: { app: 'y' } },
        });
        await client.deleteCollection(
          { apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace },
          { labelSelector: 'app=x' },
        );
        const left = await client.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace });
        expect(left.items.map((i) => i.metadata?.name)).to.deep.equal(['y']);
      });
    });

    describe('.list / .listPages / .listAll', () => {
      async function createMany(count: number): Promise<void> {
        for (let i = 0; i < count; i++) await client.create(configMap(`cm-${String(i).padStart(3, '0')}`));
      }
      const kind = () => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace });

      it('lists one page with limit and continue', async () => {
        await createMany(5);
        const first = await client.list(kind(), { limit: 2 });
        expect(first.items).to.have.length(2);
        expect(first.metadata.continue).to.be.a('string');
        const second = await client.list(kind(), { limit: 2, continue: first.metadata.continue });
        expect(second.items.map((i) => i.metadata?.name)).to.deep.equal(['cm-002', 'cm-003']);
      });

      it('pages through everything', async () => {
        await createMany(7);
        const pages: number[] = [];
        for await (const page of client.listPages(kind(), { pageSize: 3 })) pages.push(page.items.length);
        expect(pages).to.deep.equal([3, 3, 1]);
        const all = await client.listAll(kind(), { pageSize: 3 });
        expect(all.items).to.have.length(7);
        expect(all.metadata.continue).to.equal(undefined);
        expect(all.metadata.resourceVersion).to.be.a('string');
      });

      it('filters by label and field selectors', async () => {
        await client.create({
          ...configMap('x'),
          metadata: { name: 'x', namespace: env.namespace, labels: { app: 'x' } },
        });
        await client.create(configMap('y'));
        const byLabel = await client.list(kind(), { labelSelector: 'app=x' });
        expect(byLabel.items.map((i) => i.metadata?.name)).to.deep.equal(['x']);
        const byField = await client.list(kind(), { fieldSelector: 'metadata.name=y' });
        expect(byField.items.map((i) => i.metadata?.name)).to.deep.equal(['y']);
      });
    });

    describe('status subresource', () => {
      const deployment = (): Deployment => ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', namespace: env.namespace },
        spec: {
          selector: { matchLabels: { app: 'd' } },
          template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      });
      const ref = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: env.namespace, name: 'd' });

      it('updateStatus writes only the status, update keeps it', async () => {
        const created = await client.create(deployment());
        const withStatus = await client.updateStatus<Deployment>({
          ...created,
          spec: { ...created.spec!, replicas: 9 },
          status: { replicas: 3 },
        });
        expect(withStatus.status?.replicas).to.equal(3);
        expect(withStatus.spec?.replicas).to.not.equal(9);
        const updated = await client.update<Deployment>({ ...withStatus, status: { replicas: 0 } });
        expect(updated.status?.replicas).to.equal(3);
      });

      it('patchStatus patches the status', async () => {
        await client.create(deployment());
        const patched = await client.patchStatus<Deployment>(ref(), { status: { readyReplicas: 2 } });
        expect(patched.status?.readyReplicas).to.equal(2);
      });
    });

    describe('REST mapper', () => {
      it('finds a CRD installed after the first lookup of its group', async () => {
        const widget = (name: string): KubeObject => ({
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name, namespace: env.namespace },
        });
        expect(KubeClientError.is(await rejectionOf(client.create(widget('w'))), 'noKindMatch')).to.be.true;
        const crd: CustomResourceDefinition = {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'widgets.example.com' },
          spec: {
            group: 'example.com',
            names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
            scope: 'Namespaced',
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: 'object' } },
                subresources: { status: {} },
              },
            ],
          },
        };
        await client.create(crd);
        try {
          const created = await client.create(widget('w'));
          expect(created.metadata?.uid).to.be.a('string');
          const mapping = await client.mapper.mapping('example.com/v1', 'Widget');
          expect(mapping).to.include({
            resource: 'widgets',
            namespaced: true,
            group: 'example.com',
            version: 'v1',
          });
          expect(mapping.subresources).to.include('status');
        } finally {
          await client.delete({
            apiVersion: 'apiextensions.k8s.io/v1',
            kind: 'CustomResourceDefinition',
            name: 'widgets.example.com',
          });
        }
      });
    });
  });
}

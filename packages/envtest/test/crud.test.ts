/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment, @typescript-eslint/no-misused-spread -- client-node models are plain-data classes; object literals and spreads are how its API is meant to be used. */
import { expect } from 'chai';
import { ApiException, CoordinationV1Api, CoreV1Api, V1MicroTime } from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import { useEnvtest } from '@kubekit/envtest/testing';
import { raw } from './support/raw-client.js';

/** The error of a client-node call that must fail. */
async function failure(call: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) {
      return { code: error.code, body: JSON.parse(String(error.body)) as Record<string, unknown> };
    }
    throw error;
  }
  throw new Error('the call succeeded');
}

describe('envtest object semantics (client-node over HTTPS)', () => {
  const env = useEnvtest();
  const core = (): CoreV1Api => env.kubeConfig.makeApiClient(CoreV1Api);
  const coordination = (): CoordinationV1Api => env.kubeConfig.makeApiClient(CoordinationV1Api);

  function lease(name: string, spec: V1Lease['spec'] = {}): V1Lease {
    return { metadata: { name }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, ...spec } };
  }

  describe('create', () => {
    it('fills uid, creationTimestamp and a string resourceVersion from one global counter', async () => {
      const a = await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'a' } },
      });
      const b = await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'b' } },
      });
      expect(a.metadata?.uid).to.match(/^[0-9a-f-]{36}$/);
      expect(a.metadata?.creationTimestamp).to.be.instanceOf(Date);
      expect(a.metadata?.resourceVersion).to.be.a('string');
      expect(Number(b.metadata?.resourceVersion)).to.be.greaterThan(Number(a.metadata?.resourceVersion));
      const l = await coordination().createNamespacedLease({ namespace: env.namespace, body: lease('l') });
      expect(Number(l.metadata?.resourceVersion)).to.be.greaterThan(Number(b.metadata?.resourceVersion));
    });

    it('answers 409 AlreadyExists with an exactly shaped Status', async () => {
      await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'dup' } },
      });
      const { code, body } = await failure(
        core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'dup' } } }),
      );
      expect(code).to.equal(409);
      expect(body).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'configmaps "dup" already exists',
        reason: 'AlreadyExists',
        details: { name: 'dup', kind: 'configmaps' },
        code: 409,
      });
    });

    it('rejects a resourceVersion on create with the 500 of etcd storage', async () => {
      const { code, body } = await failure(
        core().createNamespacedConfigMap({
          namespace: env.namespace,
          body: { metadata: { name: 'rv', resourceVersion: '12' } },
        }),
      );
      expect(code).to.equal(500);
      expect(body).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'resourceVersion should not be set on objects to be created',
        code: 500,
      });
    });

    it('generates a name from generateName', async () => {
      const created = await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { generateName: 'gen-' } },
      });
      expect(created.metadata?.name).to.match(/^gen-[a-z0-9]{5}$/);
    });

    it('answers 404 for a namespace that does not exist', async () => {
      const { code, body } = await failure(
        core().createNamespacedConfigMap({ namespace: 'no-such-ns', body: { metadata: { name: 'x' } } }),
      );
      expect(code).to.equal(404);
      expect(body['message']).to.equal('namespaces "no-such-ns" not found');
    });

    it('answers 422 for invalid names and owner references', async () => {
      const bad = await failure(
        core().createNamespacedConfigMap({
          namespace: env.namespace,
          body: { metadata: { name: 'Not_Valid' } },
        }),
      );
      expect(bad.code).to.equal(422);
      expect(bad.body['reason']).to.equal('Invalid');
      expect(bad.body).to.have.nested.property('details.kind', 'ConfigMap');
      expect(bad.body).to.have.nested.property('details.causes[0].field', 'metadata.name');
      const missingUid = await failure(
        core().createNamespacedConfigMap({
          namespace: env.namespace,
          body: {
            metadata: {
              name: 'o1',
              ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: '' }],
            },
          },
        }),
      );
      expect(missingUid.code).to.equal(422);
      expect(missingUid.body).to.have.nested.property(
        'details.causes[0].field',
        'metadata.ownerReferences[0].uid',
      );
      const twoControllers = await failure(
        core().createNamespacedConfigMap({
          namespace: env.namespace,
          body: {
            metadata: {
              name: 'o2',
              ownerReferences: [
                { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: '1', controller: true },
                { apiVersion: 'v1', kind: 'Pod', name: 'q', uid: '2', controller: true },
              ],
            },
          },
        }),
      );
      expect(twoControllers.code).to.equal(422);
      expect(String(twoControllers.body['message'])).to.contain(
        'Only one reference can have Controller set to true',
      );
    });
  });

  describe('get', () => {
    it('answers 404 NotFound with group and plural kind in details', async () => {
      const { code, body } = await failure(
        coordination().readNamespacedLease({ namespace: env.namespace, name: 'nope' }),
      );
      expect(code).to.equal(404);
      expect(body).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'leases.coordination.k8s.io "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', group: 'coordination.k8s.io', kind: 'leases' },
        code: 404,
      });
    });
  });

  describe('update', () => {
    it('answers 409 Conflict for a stale resourceVersion and bumps the version on success', async () => {
      const created = await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'u' }, data: { a: '1' } },
      });
      const updated = await core().replaceNamespacedConfigMap({
        namespace: env.namespace,
        name: 'u',
        body: { ...created, data: { a: '2' } },
      });
      expect(updated.metadata?.resourceVersion).to.not.equal(created.metadata?.resourceVersion);
      expect(updated.metadata?.uid).to.equal(created.metadata?.uid);
      const { code, body } = await failure(
        core().replaceNamespacedConfigMap({
          namespace: env.namespace,
          name: 'u',
          body: { ...created, data: { a: '3' } },
        }),
      );
      expect(code).to.equal(409);
      expect(body['reason']).to.equal('Conflict');
      expect(body['message']).to.equal(
        'Operation cannot be fulfilled on configmaps "u": the object has been modified; please apply your changes to the latest version and try again',
      );
    });

    it('allows a ConfigMap update without resourceVersion but answers 422 for a Lease', async () => {
      await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'c' } } });
      const cm = await core().replaceNamespacedConfigMap({
        namespace: env.namespace,
        name: 'c',
        body: { metadata: { name: 'c' }, data: { x: 'y' } },
      });
      expect(cm.data).to.deep.equal({ x: 'y' });
      await coordination().createNamespacedLease({ namespace: env.namespace, body: lease('l') });
      const { code, body } = await failure(
        coordination().replaceNamespacedLease({ namespace: env.namespace, name: 'l', body: lease('l') }),
      );
      expect(code).to.equal(422);
      expect(body).to.have.nested.property('details.causes[0].field', 'metadata.resourceVersion');
    });

    it('creates a missing Lease on PUT but answers 404 for a missing ConfigMap', async () => {
      const created = await coordination().replaceNamespacedLease({
        namespace: env.namespace,
        name: 'new',
        body: lease('new'),
      });
      expect(created.metadata?.uid).to.be.a('string');
      const { code } = await failure(
        core().replaceNamespacedConfigMap({
          namespace: env.namespace,
          name: 'new',
          body: { metadata: { name: 'new' } },
        }),
      );
      expect(code).to.equal(404);
    });

    it('answers 409 for an update of a deleted Lease that names its uid, instead of creating it', async () => {
      const created = await coordination().createNamespacedLease({
        namespace: env.namespace,
        body: lease('gone'),
      });
      await coordination().deleteNamespacedLease({ namespace: env.namespace, name: 'gone' });
      const { code, body } = await failure(
        coordination().replaceNamespacedLease({ namespace: env.namespace, name: 'gone', body: created }),
      );
      expect(code).to.equal(409);
      expect(body['reason']).to.equal('Conflict');
      expect(String(body['message'])).to.contain(
        `Precondition failed: UID in precondition: ${created.metadata?.uid ?? ''}`,
      );
      expect(
        (await failure(coordination().readNamespacedLease({ namespace: env.namespace, name: 'gone' }))).code,
      ).to.equal(404);
    });

    it('does not bump the resourceVersion of an update that changes nothing', async () => {
      const created = await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'same' }, data: { a: '1' } },
      });
      const again = await core().replaceNamespacedConfigMap({
        namespace: env.namespace,
        name: 'same',
        body: created,
      });
      expect(again.metadata?.resourceVersion).to.equal(created.metadata?.resourceVersion);
    });

    it("answers 409 when the uid in the body is not the stored object's", async () => {
      await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'uid' } },
      });
      const { code, body } = await failure(
        core().replaceNamespacedConfigMap({
          namespace: env.namespace,
          name: 'uid',
          body: { metadata: { name: 'uid', uid: 'another' } },
        }),
      );
      expect(code).to.equal(409);
      expect(String(body['message'])).to.contain('UID in precondition: another');
    });

    it('keeps the data of an immutable ConfigMap', async () => {
      const created = await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'frozen' }, data: { a: '1' }, immutable: true },
      });
      const { code, body } = await failure(
        core().replaceNamespacedConfigMap({
          namespace: env.namespace,
          name: 'frozen',
          body: { ...created, data: { a: '2' } },
        }),
      );
      expect(code).to.equal(422);
      expect(body).to.have.nested.property('details.causes[0].field', 'data');
      const labelled = await core().replaceNamespacedConfigMap({
        namespace: env.namespace,
        name: 'frozen',
        body: { ...created, metadata: { ...created.metadata, labels: { ok: 'yes' } } },
      });
      expect(labelled.metadata?.labels).to.deep.equal({ ok: 'yes' });
    });

    it('answers 400 when the name in the body differs from the URL', async () => {
      await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'n1' } },
      });
      const { code, body } = await failure(
        core().replaceNamespacedConfigMap({
          namespace: env.namespace,
          name: 'n1',
          body: { metadata: { name: 'n2' } },
        }),
      );
      expect(code).to.equal(400);
      expect(body['message']).to.equal('the name of the object (n2) does not match the name on the URL (n1)');
    });
  });

  describe('Lease', () => {
    it('round-trips MicroTime fields with exactly 6 fractional digits in UTC', async () => {
      const time = new V1MicroTime('2026-01-02T03:04:05.123Z');
      await coordination().createNamespacedLease({
        namespace: env.namespace,
        body: lease('t', { acquireTime: time, renewTime: time }),
      });
      const response = await raw(
        env,
        'GET',
        `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases/t`,
      );
      expect(response.json).to.have.nested.property('spec.renewTime', '2026-01-02T03:04:05.123000Z');
      expect(response.json).to.have.nested.property('spec.acquireTime', '2026-01-02T03:04:05.123000Z');
      const created = await raw(
        env,
        'POST',
        `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases`,
        {
          body: { metadata: { name: 'offset' }, spec: { renewTime: '2026-01-02T05:04:05.1234567+02:00' } },
        },
      );
      expect(created.json).to.have.nested.property('spec.renewTime', '2026-01-02T03:04:05.123456Z');
      const bad = await raw(env, 'POST', `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases`, {
        body: { metadata: { name: 'bad' }, spec: { renewTime: 'yesterday' } },
      });
      expect(bad.status).to.equal(400);
    });

    it('answers 422 for leaseDurationSeconds <= 0 and negative leaseTransitions', async () => {
      const zero = await failure(
        coordination().createNamespacedLease({
          namespace: env.namespace,
          body: lease('z', { leaseDurationSeconds: 0 }),
        }),
      );
      expect(zero.code).to.equal(422);
      expect(zero.body).to.have.nested.property('details.causes[0].field', 'spec.leaseDurationSeconds');
      const negative = await failure(
        coordination().createNamespacedLease({
          namespace: env.namespace,
          body: lease('n', { leaseTransitions: -1 }),
        }),
      );
      expect(negative.code).to.equal(422);
    });
  });

  describe('list', () => {
    it('filters by label and field selectors and reports the list resourceVersion', async () => {
      for (const [name, tier] of [
        ['one', 'web'],
        ['two', 'db'],
        ['three', 'web'],
      ] as const) {
        await core().createNamespacedConfigMap({
          namespace: env.namespace,
          body: { metadata: { name, labels: { tier } } },
        });
      }
      const web = await core().listNamespacedConfigMap({
        namespace: env.namespace,
        labelSelector: 'tier=web',
      });
      expect(web.items.map((item) => item.metadata?.name)).to.deep.equal(['one', 'three']);
      expect(web.metadata?.resourceVersion).to.be.a('string');
      const notWeb = await core().listNamespacedConfigMap({
        namespace: env.namespace,
        labelSelector: 'tier!=web',
      });
      expect(notWeb.items.map((item) => item.metadata?.name)).to.deep.equal(['two']);
      const setBased = await core().listNamespacedConfigMap({
        namespace: env.namespace,
        labelSelector: 'tier in (db, cache),!missing',
      });
      expect(setBased.items.map((item) => item.metadata?.name)).to.deep.equal(['two']);
      const byName = await core().listNamespacedConfigMap({
        namespace: env.namespace,
        fieldSelector: 'metadata.name=three',
      });
      expect(byName.items.map((item) => item.metadata?.name)).to.deep.equal(['three']);
      const all = await core().listConfigMapForAllNamespaces({
        fieldSelector: `metadata.namespace=${env.namespace}`,
      });
      expect(all.items).to.have.length(3);
    });

    it('answers 400 for an unsupported field selector or a malformed label selector', async () => {
      expect(
        (
          await failure(
            core().listNamespacedConfigMap({ namespace: env.namespace, fieldSelector: 'spec.x=1' }),
          )
        ).code,
      ).to.equal(400);
      expect(
        (await failure(core().listNamespacedConfigMap({ namespace: env.namespace, labelSelector: 'a in b' })))
          .code,
      ).to.equal(400);
    });

    it('pages with limit and continue', async () => {
      for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) {
        await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name } } });
      }
      const first = await core().listNamespacedConfigMap({ namespace: env.namespace, limit: 2 });
      expect(first.items.map((item) => item.metadata?.name)).to.deep.equal(['p1', 'p2']);
      expect(first.metadata?.remainingItemCount).to.equal(3);
      const second = await core().listNamespacedConfigMap({
        namespace: env.namespace,
        limit: 2,
        _continue: first.metadata?._continue ?? '',
      });
      expect(second.items.map((item) => item.metadata?.name)).to.deep.equal(['p3', 'p4']);
      const third = await core().listNamespacedConfigMap({
        namespace: env.namespace,
        limit: 2,
        _continue: second.metadata?._continue ?? '',
      });
      expect(third.items.map((item) => item.metadata?.name)).to.deep.equal(['p5']);
      expect(third.metadata?._continue).to.equal(undefined);
      expect(third.metadata?.resourceVersion).to.equal(first.metadata?.resourceVersion);
      const bad = await raw(
        env,
        'GET',
        `/api/v1/namespaces/${env.namespace}/configmaps?limit=1&continue=garbage`,
      );
      expect(bad.status).to.equal(400);
    });

    it('pages in key order across namespaces, with selectors, and past a continue key deleted meanwhile', async () => {
      const other = `${env.namespace}-b`;
      expect(
        (await raw(env, 'POST', '/api/v1/namespaces', { body: { metadata: { name: other } } })).status,
      ).to.equal(201);
      const label = `page-${env.namespace}`;
      const create = async (namespace: string, name: string, labelled = true): Promise<void> => {
        const body = { metadata: { name, ...(labelled ? { labels: { page: label } } : {}) } };
        const created = await raw(env, 'POST', `/api/v1/namespaces/${namespace}/configmaps`, { body });
        expect(created.status).to.equal(201);
      };
      for (const name of ['s1', 's2', 's3', 's4']) await create(env.namespace, name);
      await create(env.namespace, 's25', false);
      for (const name of ['t2', 't1']) await create(other, name);
      interface Page {
        items: { metadata: { namespace: string; name: string } }[];
        metadata: { continue?: string; remainingItemCount?: number };
      }
      const list = async (path: string): Promise<Page> => {
        const answer = await raw(env, 'GET', path);
        expect(answer.status).to.equal(200);
        return answer.json as Page;
      };
      const names = (page: Page): string[] =>
        page.items.map((item) => `${item.metadata.namespace}/${item.metadata.name}`);
      // `<ns>-b/…` sorts before `<ns>/…` ('-' is below '/'), as etcd orders the keys.
      const selected = `/api/v1/configmaps?labelSelector=page%3D${label}&limit=4`;
      const first = await list(selected);
      expect(names(first)).to.deep.equal([
        `${other}/t1`,
        `${other}/t2`,
        `${env.namespace}/s1`,
        `${env.namespace}/s2`,
      ]);
      expect(first.metadata.remainingItemCount).to.equal(undefined);
      expect(first.metadata.continue).to.be.a('string');
      // The last key of the page goes away, and objects come before and after it.
      expect((await raw(env, 'DELETE', `/api/v1/namespaces/${env.namespace}/configmaps/s2`)).status).to.equal(
        200,
      );
      await create(env.namespace, 's0');
      await create(env.namespace, 's2a');
      const second = await list(`${selected}&continue=${first.metadata.continue ?? ''}`);
      expect(names(second)).to.deep.equal([
        `${env.namespace}/s2a`,
        `${env.namespace}/s3`,
        `${env.namespace}/s4`,
      ]);
      expect(second.metadata.continue).to.equal(undefined);

      // One namespace, no selector: its own objects only, with the count of the rest.
      const own = await list(`/api/v1/namespaces/${env.namespace}/configmaps?limit=3`);
      expect(names(own)).to.deep.equal([
        `${env.namespace}/s0`,
        `${env.namespace}/s1`,
        `${env.namespace}/s25`,
      ]);
      expect(own.metadata.remainingItemCount).to.equal(3);
      const rest = await list(
        `/api/v1/namespaces/${env.namespace}/configmaps?limit=3&continue=${own.metadata.continue ?? ''}`,
      );
      expect(names(rest)).to.deep.equal([
        `${env.namespace}/s2a`,
        `${env.namespace}/s3`,
        `${env.namespace}/s4`,
      ]);
      expect(rest.metadata.continue).to.equal(undefined);
      expect(names(await list(`/api/v1/namespaces/${other}/configmaps`))).to.deep.equal([
        `${other}/t1`,
        `${other}/t2`,
      ]);
      await raw(env, 'DELETE', `/api/v1/namespaces/${other}`);
    });

    it('answers a list at resourceVersion 0 in one piece, ignoring limit, as the watch cache does', async () => {
      for (const name of ['z1', 'z2', 'z3']) {
        await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name } } });
      }
      const any = await core().listNamespacedConfigMap({
        namespace: env.namespace,
        limit: 1,
        resourceVersion: '0',
      });
      expect(any.items.map((item) => item.metadata?.name)).to.deep.equal(['z1', 'z2', 'z3']);
      expect(any.metadata?._continue).to.equal(undefined);
      expect(any.metadata?.remainingItemCount).to.equal(undefined);
      const consistent = await core().listNamespacedConfigMap({ namespace: env.namespace, limit: 1 });
      expect(consistent.items.map((item) => item.metadata?.name)).to.deep.equal(['z1']);
      expect(consistent.metadata?._continue).to.be.a('string');
      const bad = await raw(
        env,
        'GET',
        `/api/v1/namespaces/${env.namespace}/configmaps?limit=x&resourceVersion=0`,
      );
      expect(bad.status).to.equal(400);
    });
  });

  describe('patch', () => {
    it('applies JSON patch (client-node default), merge patch and strategic merge patch', async () => {
      await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'p' }, data: { a: '1', b: '2' } },
      });
      const json = await core().patchNamespacedConfigMap({
        namespace: env.namespace,
        name: 'p',
        body: [
          { op: 'replace', path: '/data/a', value: '10' },
          { op: 'remove', path: '/data/b' },
        ],
      });
      expect(json.data).to.deep.equal({ a: '10' });
      const path = `/api/v1/namespaces/${env.namespace}/configmaps/p`;
      const merge = await raw(env, 'PATCH', path, {
        body: { data: { c: '3', a: null } },
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(merge.status).to.equal(200);
      expect(merge.json).to.have.deep.property('data', { c: '3' });
      const strategic = await raw(env, 'PATCH', path, {
        body: { metadata: { labels: { x: 'y' } } },
        headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
      });
      expect(strategic.json).to.have.nested.property('metadata.labels.x', 'y');
      const failedTest = await raw(env, 'PATCH', path, {
        body: [{ op: 'test', path: '/data/c', value: 'nope' }],
        headers: { 'Content-Type': 'application/json-patch+json' },
      });
      expect(failedTest.status).to.equal(422);
      const missing = await raw(env, 'PATCH', `/api/v1/namespaces/${env.namespace}/configmaps/absent`, {
        body: { data: {} },
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(missing.status).to.equal(404);
    });

    it('answers 409 when the patch carries a stale resourceVersion', async () => {
      await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'pc' } },
      });
      const response = await raw(env, 'PATCH', `/api/v1/namespaces/${env.namespace}/configmaps/pc`, {
        body: { metadata: { resourceVersion: '1' }, data: { a: 'b' } },
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(response.status).to.equal(409);
    });

    it('merges lists with a merge key in strategic merge patch', async () => {
      const pods = `/api/v1/namespaces/${env.namespace}/pods`;
      await raw(env, 'POST', pods, {
        body: {
          metadata: { name: 'sp' },
          spec: {
            containers: [
              { name: 'a', image: 'x' },
              { name: 'b', image: 'y' },
            ],
          },
        },
      });
      const patched = await raw(env, 'PATCH', `${pods}/sp`, {
        body: { spec: { containers: [{ name: 'b', image: 'z' }] } },
        headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
      });
      expect(patched.json).to.have.nested.property('spec.containers[0].image', 'x');
      expect(patched.json).to.have.nested.property('spec.containers[1].image', 'z');
    });
  });

  describe('delete', () => {
    it('answers a Success Status for a ConfigMap and 404 afterwards', async () => {
      const created = await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'd' } },
      });
      const status = await core().deleteNamespacedConfigMap({ namespace: env.namespace, name: 'd' });
      expect(status.status).to.equal('Success');
      expect(status.details?.uid).to.equal(created.metadata?.uid);
      expect(
        (await failure(core().readNamespacedConfigMap({ namespace: env.namespace, name: 'd' }))).code,
      ).to.equal(404);
      expect(
        (await failure(core().deleteNamespacedConfigMap({ namespace: env.namespace, name: 'd' }))).code,
      ).to.equal(404);
    });

    it('answers 409 Conflict when a uid or resourceVersion precondition fails', async () => {
      const created = await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'pre' } },
      });
      const uid = await failure(
        core().deleteNamespacedConfigMap({
          namespace: env.namespace,
          name: 'pre',
          body: { preconditions: { uid: 'other' } },
        }),
      );
      expect(uid.code).to.equal(409);
      expect(uid.body['reason']).to.equal('Conflict');
      expect(String(uid.body['message'])).to.contain('Precondition failed: UID in precondition: other');
      const rv = await failure(
        core().deleteNamespacedConfigMap({
          namespace: env.namespace,
          name: 'pre',
          body: { preconditions: { resourceVersion: '1' } },
        }),
      );
      expect(rv.code).to.equal(409);
      await core().deleteNamespacedConfigMap({
        namespace: env.namespace,
        name: 'pre',
        body: {
          preconditions: {
            uid: created.metadata?.uid ?? '',
            resourceVersion: created.metadata?.resourceVersion ?? '',
          },
        },
      });
    });

    it('keeps an object with finalizers Terminating until the last finalizer is removed', async () => {
      await core().createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'f', finalizers: ['example.com/keep'] } },
      });
      const deleted = await raw(env, 'DELETE', `/api/v1/namespaces/${env.namespace}/configmaps/f`);
      expect(deleted.json).to.have.nested.property('metadata.deletionTimestamp');
      const terminating = await core().readNamespacedConfigMap({ namespace: env.namespace, name: 'f' });
      expect(terminating.metadata?.deletionTimestamp).to.be.instanceOf(Date);
      const addFinalizer = await failure(
        core().replaceNamespacedConfigMap({
          namespace: env.namespace,
          name: 'f',
          body: {
            ...terminating,
            metadata: { ...terminating.metadata, finalizers: ['example.com/keep', 'more'] },
          },
        }),
      );
      expect(addFinalizer.code).to.equal(422);
      await core().replaceNamespacedConfigMap({
        namespace: env.namespace,
        name: 'f',
        body: { ...terminating, metadata: { ...terminating.metadata, finalizers: [] } },
      });
      expect(
        (await failure(core().readNamespacedConfigMap({ namespace: env.namespace, name: 'f' }))).code,
      ).to.equal(404);
    });

    it('deletes a collection by label selector', async () => {
      for (const name of ['x1', 'x2', 'keep']) {
        await core().createNamespacedConfigMap({
          namespace: env.namespace,
          body: { metadata: { name, labels: { drop: String(name !== 'keep') } } },
        });
      }
      await core().deleteCollectionNamespacedConfigMap({
        namespace: env.namespace,
        labelSelector: 'drop=true',
      });
      const left = await core().listNamespacedConfigMap({ namespace: env.namespace });
      expect(left.items.map((item) => item.metadata?.name)).to.deep.equal(['keep']);
    });
  });

  describe('other built-in resources', () => {
    it('serves secrets, services, serviceaccounts, nodes and both kinds of events', async () => {
      const secret = await core().createNamespacedSecret({
        namespace: env.namespace,
        body: { metadata: { name: 's' }, stringData: { password: 'hunter2' } },
      });
      expect(secret.data?.['password']).to.equal(Buffer.from('hunter2').toString('base64'));
      expect(secret.type).to.equal('Opaque');
      const service = await core().createNamespacedService({
        namespace: env.namespace,
        body: { metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } },
      });
      expect(service.spec?.clusterIP).to.match(/^10\.96\./);
      await core().createNamespacedServiceAccount({
        namespace: env.namespace,
        body: { metadata: { name: 'sa' } },
      });
      await core().createNode({ body: { metadata: { name: `node-${env.namespace}` } } });
      const nodes = await core().listNode();
      expect(nodes.items.map((node) => node.metadata?.name)).to.include(`node-${env.namespace}`);
      await core().createNamespacedEvent({
        namespace: env.namespace,
        body: {
          metadata: { name: 'ev' },
          involvedObject: { kind: 'ConfigMap', name: 'x', namespace: env.namespace },
          reason: 'Tested',
        },
      });
      const events = await core().listNamespacedEvent({
        namespace: env.namespace,
        fieldSelector: 'involvedObject.name=x,reason=Tested',
      });
      expect(events.items).to.have.length(1);
      const v1 = await raw(env, 'POST', `/apis/events.k8s.io/v1/namespaces/${env.namespace}/events`, {
        body: {
          metadata: { name: 'ev2' },
          eventTime: '2026-01-01T00:00:00Z',
          reason: 'Tested',
          action: 'Test',
        },
      });
      expect(v1.status).to.equal(201);
      expect(v1.json).to.have.property('eventTime', '2026-01-01T00:00:00.000000Z');
      const ns = await core().readNamespace({ name: env.namespace });
      expect(ns.status?.phase).to.equal('Active');
    });

    it('serves coordination.k8s.io/v1beta1 leasecandidates', async () => {
      const response = await raw(
        env,
        'POST',
        `/apis/coordination.k8s.io/v1beta1/namespaces/${env.namespace}/leasecandidates`,
        {
          body: { metadata: { name: 'c' }, spec: { leaseName: 'l', renewTime: '2026-01-01T00:00:00Z' } },
        },
      );
      expect(response.status).to.equal(201);
      expect(response.json).to.have.nested.property('spec.renewTime', '2026-01-01T00:00:00.000000Z');
    });
  });
});

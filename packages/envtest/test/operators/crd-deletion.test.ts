import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { useKubectl } from '../support/kubectl.js';
import { eventually, raw, rawWatch } from '../support/raw-client.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

describe('envtest CRD deletion', () => {
  const env = useEnvtest();
  const kubectl = useKubectl(env);

  function crd(group: string): unknown {
    return {
      metadata: { name: `gadgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'gadgets', kind: 'Gadget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
  }

  it('goes through Terminating under the customresourcecleanup finalizer, deletes the objects and ends their watches', async () => {
    const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.gone.example.com`;
    const created = await raw(env, 'POST', CRDS, { body: crd(group) });
    expect(created.json).to.have.deep.nested.property('metadata.finalizers', [
      'customresourcecleanup.apiextensions.k8s.io',
    ]);
    const gadgets = `/apis/${group}/v1/namespaces/${env.namespace}/gadgets`;
    for (const name of ['a', 'b']) {
      await raw(env, 'POST', gadgets, {
        body: { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name } },
      });
    }
    const crdWatch = rawWatch(env, `${CRDS}?watch=true&fieldSelector=metadata.name%3Dgadgets.${group}`);
    const watch = rawWatch(env, `${gadgets}?watch=true`);
    try {
      await eventually(() => watch.events.length === 2 && crdWatch.events.length === 1);
      const deleted = await raw(env, 'DELETE', `${CRDS}/gadgets.${group}`);
      expect(deleted.status).to.equal(200);
      expect(deleted.json).to.have.nested.property('metadata.deletionTimestamp');
      await watch.ended;
      expect(watch.events.map((event) => `${event.type} ${event.object.metadata?.name ?? ''}`)).to.deep.equal(
        ['ADDED a', 'ADDED b', 'DELETED a', 'DELETED b'],
      );
      await eventually(() => crdWatch.events.some((event) => event.type === 'DELETED'));
      const terminating = crdWatch.events.find(
        (event) => event.type === 'MODIFIED' && JSON.stringify(event.object).includes('"type":"Terminating"'),
      );
      expect(terminating, 'a MODIFIED event with the Terminating condition').not.to.equal(undefined);
      expect((await raw(env, 'GET', gadgets)).status).to.equal(404);
      expect((await raw(env, 'GET', `${CRDS}/gadgets.${group}`)).status).to.equal(404);
    } finally {
      watch.close();
      crdWatch.close();
    }
  });

  it('keeps a CRD whose other finalizer stays Terminating and refuses new objects with 405', async () => {
    const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.held.example.com`;
    const body = crd(group) as { metadata: Record<string, unknown> };
    body.metadata['finalizers'] = ['example.com/hold'];
    await raw(env, 'POST', CRDS, { body });
    await raw(env, 'DELETE', `${CRDS}/gadgets.${group}`);
    const gadgets = `/apis/${group}/v1/namespaces/${env.namespace}/gadgets`;
    await eventually(async () => {
      const current = await raw(env, 'GET', `${CRDS}/gadgets.${group}`);
      const finalizers = (current.json as { metadata: { finalizers?: string[] } }).metadata.finalizers;
      return JSON.stringify(finalizers) === '["example.com/hold"]';
    });
    const refused = await raw(env, 'POST', gadgets, {
      body: { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'late' } },
    });
    expect(refused.status).to.equal(405);
    expect(refused.json).to.include({
      reason: 'MethodNotAllowed',
      message: 'create not allowed while custom resource definition is terminating',
    });
    const shown = await kubectl.ok(
      'get',
      'crd',
      `gadgets.${group}`,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Terminating")].status}',
    );
    expect(shown).to.equal('True');
    await raw(env, 'PATCH', `${CRDS}/gadgets.${group}`, {
      body: { metadata: { finalizers: null } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    await eventually(async () => (await raw(env, 'GET', `${CRDS}/gadgets.${group}`)).status === 404);
  });
});

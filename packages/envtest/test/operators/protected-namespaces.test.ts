/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be used. */
import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { useKubectl } from '../support/kubectl.js';
import { raw } from '../support/raw-client.js';
import { apiFailure } from '../support/api-failure.js';
import { EnvtestError } from '@kubekit/envtest';

describe('envtest protected namespaces', () => {
  const env = useEnvtest();
  const kubectl = useKubectl(env);

  for (const name of ['default', 'kube-system', 'kube-public']) {
    it(`answers 403 Forbidden to a DELETE of ${name}, as NamespaceLifecycle admission does`, async () => {
      const answer = await raw(env, 'DELETE', `/api/v1/namespaces/${name}`);
      expect(answer.status).to.equal(403);
      expect(answer.json).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `namespaces "${name}" is forbidden: this namespace may not be deleted`,
        reason: 'Forbidden',
        details: { name, kind: 'namespaces' },
        code: 403,
      });
      const ns = await raw(env, 'GET', `/api/v1/namespaces/${name}`);
      expect(ns.json).to.have.nested.property('status.phase', 'Active');
    });
  }

  it('keeps the objects of a protected namespace (client-node)', async () => {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'kept' } } });
    try {
      const error = await apiFailure(core.deleteNamespace({ name: 'default' }));
      expect(error.code).to.equal(403);
      expect(error.body.reason).to.equal('Forbidden');
      expect(
        (await core.readNamespacedConfigMap({ namespace: 'default', name: 'kept' })).metadata?.name,
      ).to.equal('kept');
    } finally {
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'kept' });
    }
  });

  it('lets kubectl delete ns kube-system fail with the kube-apiserver message', async () => {
    const result = await kubectl.run('delete', 'namespace', 'kube-system');
    expect(result.code).to.equal(1);
    expect(result.stderr).to.contain(
      'Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted',
    );
  });

  for (const name of ['default', 'kube-system', 'kube-public']) {
    it(`lets cluster.deleteNamespace(${name}) reject with invalidOptions and keep it`, async () => {
      let failure: unknown;
      await env.cluster.deleteNamespace(name).catch((error: unknown) => {
        failure = error;
      });
      expect(EnvtestError.is(failure, 'invalidOptions'), String(failure)).to.equal(true);
      expect((failure as Error).message).to.contain('this namespace may not be deleted');
      const ns = await raw(env, 'GET', `/api/v1/namespaces/${name}`);
      expect(ns.json).to.have.nested.property('status.phase', 'Active');
      expect(ns.json).to.not.have.nested.property('metadata.deletionTimestamp');
    });
  }

  it('answers 405 MethodNotAllowed to a DELETE of the namespace collection, deleting nothing', async () => {
    const answer = await raw(env, 'DELETE', '/api/v1/namespaces');
    expect(answer.status).to.equal(405);
    expect(answer.json).to.deep.equal({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server does not allow this method on the requested resource',
      reason: 'MethodNotAllowed',
      details: {},
      code: 405,
    });
    const ns = await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}`);
    expect(ns.json).to.have.nested.property('status.phase', 'Active');
  });

  it('does not list deletecollection among the namespace verbs in discovery', async () => {
    const answer = await raw(env, 'GET', '/api/v1');
    const resources = (answer.json as { resources: { name: string; verbs: string[] }[] }).resources;
    const verbs = resources.find((resource) => resource.name === 'namespaces')?.verbs;
    expect(verbs).to.deep.equal(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
  });

  it('still deletes ordinary namespaces', async () => {
    const answer = await raw(env, 'DELETE', `/api/v1/namespaces/${env.namespace}`);
    expect(answer.status).to.equal(200);
  });
});

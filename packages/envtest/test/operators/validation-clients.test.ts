/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be used. */
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { apiFailure } from '../support/api-failure.js';
import { useKubectl } from '../support/kubectl.js';

const labels = { app: 'db' };
const statefulSet = (serviceName: string) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'db' },
  spec: {
    serviceName,
    selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [{ name: 'db', image: 'postgres:17' }] } },
  },
});

describe('envtest built-in validation seen by kubectl', () => {
  const env = useEnvtest();
  const kubectl = useKubectl(env);

  it('prints the 422 of an out-of-range Service port as kube-apiserver words it', async () => {
    const file = await kubectl.manifest('svc', [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's' },
        spec: { ports: [{ port: 70000, targetPort: 80 }] },
      },
    ]);
    const result = await kubectl.run('apply', '-f', file);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.contain(
      'The Service "s" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
  });

  it('answers a DELETE of the namespace collection with MethodNotAllowed', async () => {
    const result = await kubectl.run('delete', '--raw', '/api/v1/namespaces');
    expect(result.code).to.equal(1);
    expect(result.stderr).to.contain(
      'Error from server (MethodNotAllowed): the server does not allow this method on the requested resource',
    );
    expect(await kubectl.ok('get', 'namespace', env.namespace, '-o', 'name')).to.contain(env.namespace);
  });

  it('refuses a kubectl apply that changes a StatefulSet serviceName', async () => {
    await kubectl.ok('apply', '-f', await kubectl.manifest('sts', [statefulSet('db')]));
    const result = await kubectl.run(
      'apply',
      '-f',
      await kubectl.manifest('sts2', [statefulSet('db-headless')]),
    );
    expect(result.code).to.equal(1);
    expect(result.stderr).to.contain(
      "The StatefulSet \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
  });
});

describe('envtest built-in validation seen by client-node', () => {
  // client-node has no deleteCollectionNamespace at all: kube-apiserver's OpenAPI has no such operation.
  const env = useEnvtest();

  it('answers a Role rule without verbs with 422 and its cause', async () => {
    const rbac = env.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const failure = await apiFailure(
      rbac.createNamespacedRole({
        namespace: env.namespace,
        body: { metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: [] }] },
      }),
    );
    expect(failure.code).to.equal(422);
    expect(failure.body.message).to.equal(
      'Role.rbac.authorization.k8s.io "r" is invalid: rules[0].verbs: Required value: verbs must contain at least one value',
    );
  });
});

/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be used. */
import { AuthorizationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { apiFailure } from '../support/api-failure.js';
import { useKubectl } from '../support/kubectl.js';
import { credentials, raw } from '../support/raw-client.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

describe('envtest RBAC for users that opt in', () => {
  const env = useEnvtest({
    users: [
      'root',
      { name: 'alice' },
      { name: 'bot', serviceAccount: { namespace: 'default', name: 'operator' } },
    ],
  });
  const kubectl = useKubectl(env, 'alice');

  async function bindRole(subject: Record<string, unknown>, rules: unknown[], name = 'r'): Promise<void> {
    await raw(env, 'POST', `${RBAC}/namespaces/${env.namespace}/roles`, {
      body: { metadata: { name }, rules },
    });
    const bound = await raw(env, 'POST', `${RBAC}/namespaces/${env.namespace}/rolebindings`, {
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [subject],
      },
    });
    expect(bound.status).to.equal(201);
  }

  it('answers 403 Forbidden in kube-apiserver words to an RBAC user without bindings', async () => {
    const core = env.kubeConfigFor('alice').makeApiClient(CoreV1Api);
    const failure = await apiFailure(core.listNamespacedPod({ namespace: env.namespace }));
    expect(failure.code).to.equal(403);
    expect(failure.body).to.deep.include({
      reason: 'Forbidden',
      message: `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "${env.namespace}"`,
      details: { kind: 'pods' },
    });
    const named = await apiFailure(core.readNamespacedConfigMap({ namespace: env.namespace, name: 'x' }));
    expect(named.body.message).to.equal(
      `configmaps "x" is forbidden: User "alice" cannot get resource "configmaps" in API group "" in the namespace "${env.namespace}"`,
    );
    const cluster = await apiFailure(core.listNode());
    expect(cluster.body.message).to.equal(
      'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    const status = await raw(env, 'PATCH', `/apis/apps/v1/namespaces/${env.namespace}/deployments/d/status`, {
      body: {},
      headers: { 'Content-Type': 'application/merge-patch+json' },
      token: credentials(env, 'alice').token,
    });
    expect((status.json as { message: string }).message).to.equal(
      `deployments.apps "d" is forbidden: User "alice" cannot patch resource "deployments/status" in API group "apps" in the namespace "${env.namespace}"`,
    );
  });

  it('allows what a Role bound to the user allows, in its namespace only', async () => {
    await bindRole({ kind: 'User', name: 'alice' }, [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    ]);
    const core = env.kubeConfigFor('alice').makeApiClient(CoreV1Api);
    expect((await core.listNamespacedPod({ namespace: env.namespace })).items).to.deep.equal([]);
    expect((await apiFailure(core.listNamespacedPod({ namespace: 'default' }))).code).to.equal(403);
    expect(
      (
        await apiFailure(
          core.createNamespacedPod({
            namespace: env.namespace,
            body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } },
          }),
        )
      ).code,
    ).to.equal(403);
  });

  it('takes RBAC names with colons (path segments, as kube-apiserver) and refuses a slash', async () => {
    await bindRole(
      { kind: 'User', name: 'alice' },
      [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
      'system:controller:reader',
    );
    const core = env.kubeConfigFor('alice').makeApiClient(CoreV1Api);
    expect((await core.listNamespacedConfigMap({ namespace: env.namespace })).items).to.be.an('array');
    for (const plural of ['clusterroles', 'clusterrolebindings']) {
      const body =
        plural === 'clusterroles'
          ? { metadata: { name: 'system:aggregate-to-view' }, rules: [] }
          : {
              metadata: { name: 'system:aggregate-to-view' },
              roleRef: {
                apiGroup: 'rbac.authorization.k8s.io',
                kind: 'ClusterRole',
                name: 'system:aggregate-to-view',
              },
              subjects: [
                { kind: 'Group', name: 'system:authenticated', apiGroup: 'rbac.authorization.k8s.io' },
              ],
            };
      expect((await raw(env, 'POST', `${RBAC}/${plural}`, { body })).status, plural).to.equal(201);
    }
    const slash = await raw(env, 'POST', `${RBAC}/clusterroles`, {
      body: { metadata: { name: 'a/b' }, rules: [] },
    });
    expect(slash.status).to.equal(422);
  });

  it('applies ClusterRoles through ClusterRoleBindings and groups, and resourceNames', async () => {
    await raw(env, 'POST', `${RBAC}/clusterroles`, {
      body: {
        metadata: { name: `nodes-${env.namespace}` },
        rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }],
      },
    });
    await raw(env, 'POST', `${RBAC}/clusterrolebindings`, {
      body: {
        metadata: { name: `nodes-${env.namespace}` },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: `nodes-${env.namespace}`,
        },
        subjects: [{ kind: 'Group', name: 'system:authenticated' }],
      },
    });
    const core = env.kubeConfigFor('alice').makeApiClient(CoreV1Api);
    await core.listNode();
    await bindRole(
      { kind: 'User', name: 'alice' },
      [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['mine'], verbs: ['get'] }],
      'named',
    );
    await raw(env, 'POST', `/api/v1/namespaces/${env.namespace}/configmaps`, {
      body: { metadata: { name: 'mine' } },
    });
    await raw(env, 'POST', `/api/v1/namespaces/${env.namespace}/configmaps`, {
      body: { metadata: { name: 'theirs' } },
    });
    await core.readNamespacedConfigMap({ namespace: env.namespace, name: 'mine' });
    expect(
      (await apiFailure(core.readNamespacedConfigMap({ namespace: env.namespace, name: 'theirs' }))).code,
    ).to.equal(403);
    await raw(env, 'DELETE', `${RBAC}/clusterrolebindings/nodes-${env.namespace}`);
    await raw(env, 'DELETE', `${RBAC}/clusterroles/nodes-${env.namespace}`);
  });

  it('answers SelfSubjectAccessReviews truthfully, with the RBAC reason', async () => {
    const api = env.kubeConfigFor('alice').makeApiClient(AuthorizationV1Api);
    const ask = (): Promise<{ status?: { allowed: boolean; reason?: string } }> =>
      api.createSelfSubjectAccessReview({
        body: {
          spec: { resourceAttributes: { namespace: env.namespace, verb: 'delete', resource: 'secrets' } },
        },
      });
    expect((await ask()).status?.allowed).to.equal(false);
    await bindRole({ kind: 'User', name: 'alice' }, [
      { apiGroups: [''], resources: ['secrets'], verbs: ['*'] },
    ]);
    const allowed = await ask();
    expect(allowed.status?.allowed).to.equal(true);
    expect(allowed.status?.reason).to.equal(
      `RBAC: allowed by RoleBinding "r/${env.namespace}" of Role "r" to User "alice"`,
    );
    const admin = await env.kubeConfig.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb: 'delete', resource: 'nodes' } } },
    });
    expect(admin.status?.allowed).to.equal(true);
  });

  it('lets kubectl show the Forbidden error then list once allowed', async () => {
    const denied = await kubectl.run('get', 'pods');
    expect(denied.code).to.equal(1);
    expect(denied.stderr).to.contain(
      `Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "${env.namespace}"`,
    );
    await bindRole({ kind: 'User', name: 'alice' }, [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ]);
    expect(await kubectl.ok('get', 'pods')).to.equal('');
  });

  it('treats a service account user and a TokenRequest token as the service account', async () => {
    const core = env.kubeConfigFor('bot').makeApiClient(CoreV1Api);
    const before = await apiFailure(core.listNamespacedSecret({ namespace: env.namespace }));
    expect(before.body.message).to.contain(
      'User "system:serviceaccount:default:operator" cannot list resource "secrets"',
    );
    await bindRole({ kind: 'ServiceAccount', name: 'operator', namespace: 'default' }, [
      { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
    ]);
    await core.listNamespacedSecret({ namespace: env.namespace });
    await raw(env, 'POST', `/api/v1/namespaces/${env.namespace}/serviceaccounts`, {
      body: { metadata: { name: 'runner' } },
    });
    const issued = await raw(
      env,
      'POST',
      `/api/v1/namespaces/${env.namespace}/serviceaccounts/runner/token`,
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 3600 },
        },
      },
    );
    expect(issued.status).to.equal(201);
    const token = (issued.json as { status: { token: string } }).status.token;
    const asRunner = await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/secrets`, { token });
    expect(asRunner.status).to.equal(403);
    expect((asRunner.json as { message: string }).message).to.contain(
      `User "system:serviceaccount:${env.namespace}:runner"`,
    );
    await bindRole(
      { kind: 'ServiceAccount', name: 'runner' },
      [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }],
      'runner',
    );
    expect((await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/secrets`, { token })).status).to.equal(
      200,
    );
    expect(
      (
        await raw(env, 'POST', `/api/v1/namespaces/${env.namespace}/serviceaccounts/missing/token`, {
          body: {},
        })
      ).status,
    ).to.equal(404);
  });

  it('keeps plain-name users admins', async () => {
    const core = env.kubeConfigFor('root').makeApiClient(CoreV1Api);
    await core.listNode();
    await core.listNamespacedSecret({ namespace: 'kube-system' });
  });
});

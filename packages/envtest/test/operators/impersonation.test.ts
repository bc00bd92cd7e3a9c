import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { useKubectl } from '../support/kubectl.js';
import { credentials, raw, type RawResponse } from '../support/raw-client.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

describe('envtest impersonation (Impersonate-User, -Group, -Uid, -Extra-*)', () => {
  const env = useEnvtest({ users: [{ name: 'alice' }] });
  const kubectl = useKubectl(env);

  function pods(headers: Record<string, string | string[]>, token?: string): Promise<RawResponse> {
    return raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/pods`, {
      headers: headers as Record<string, string>,
      ...(token === undefined ? {} : { token }),
    });
  }

  async function bindClusterRole(
    name: string,
    subject: Record<string, unknown>,
    rules: unknown[],
  ): Promise<void> {
    const role = await raw(env, 'POST', `${RBAC}/clusterroles`, { body: { metadata: { name }, rules } });
    expect(role.status).to.equal(201);
    const binding = await raw(env, 'POST', `${RBAC}/clusterrolebindings`, {
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [subject],
      },
    });
    expect(binding.status).to.equal(201);
  }

  afterEach(async () => {
    for (const kind of ['clusterrolebindings', 'clusterroles']) {
      for (const name of ['impersonator', 'pod-reader']) await raw(env, 'DELETE', `${RBAC}/${kind}/${name}`);
    }
  });

  it('serves an admin impersonating a user as that user, subject to RBAC', async () => {
    const denied = await pods({ 'Impersonate-User': 'nobody' });
    expect(denied.status).to.equal(403);
    expect(denied.json).to.deep.include({
      reason: 'Forbidden',
      message: `pods is forbidden: User "nobody" cannot list resource "pods" in API group "" in the namespace "${env.namespace}"`,
    });
    await bindClusterRole('pod-reader', { kind: 'User', name: 'nobody' }, [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ]);
    expect((await pods({ 'Impersonate-User': 'nobody' })).status).to.equal(200);
    // Without the header the admin is itself again.
    expect((await raw(env, 'GET', '/api/v1/nodes')).status).to.equal(200);
  });

  it('answers kubectl --as and --as-group truthfully (auth can-i)', async () => {
    expect((await kubectl.run('auth', 'can-i', 'delete', 'nodes')).stdout.trim()).to.equal('yes');
    const asNobody = await kubectl.run('auth', 'can-i', 'delete', 'nodes', '--as=nobody');
    expect(asNobody.stdout.trim()).to.equal('no');
    expect(asNobody.code).to.equal(1);
    // Groups asked for are the impersonated user's groups, system:masters included.
    const asMaster = await kubectl.run(
      'auth',
      'can-i',
      'delete',
      'nodes',
      '--as=root',
      '--as-group=system:masters',
    );
    expect(asMaster.stdout.trim()).to.equal('yes');
    await bindClusterRole('pod-reader', { kind: 'Group', name: 'readers' }, [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ]);
    const asReader = await kubectl.run(
      'auth',
      'can-i',
      'list',
      'pods',
      '--as=carol',
      '--as-group=ops',
      '--as-group=readers',
    );
    expect(asReader.stdout.trim()).to.equal('yes');
    const asOps = await kubectl.run('auth', 'can-i', 'list', 'pods', '--as=carol', '--as-group=ops');
    expect(asOps.stdout.trim()).to.equal('no');
  });

  it('refuses an RBAC user without the impersonate verb, in kube-apiserver words', async () => {
    const alice = credentials(env, 'alice').token;
    const denied = await pods({ 'Impersonate-User': 'bob' }, alice);
    expect(denied.status).to.equal(403);
    expect(denied.json).to.deep.include({
      reason: 'Forbidden',
      message:
        'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
      details: { name: 'bob', kind: 'users' },
    });
    const group = await pods({ 'Impersonate-User': 'bob', 'Impersonate-Group': 'devs' }, alice);
    expect((group.json as { message: string }).message).to.equal(
      'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
  });

  it('lets an RBAC user impersonate what its roles allow, each name checked', async () => {
    const alice = credentials(env, 'alice').token;
    await bindClusterRole('impersonator', { kind: 'User', name: 'alice' }, [
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['bob'] },
    ]);
    await bindClusterRole('pod-reader', { kind: 'User', name: 'bob' }, [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ]);
    expect((await pods({}, alice)).status).to.equal(403); // alice herself may not list
    expect((await pods({ 'Impersonate-User': 'bob' }, alice)).status).to.equal(200);
    const other = await pods({ 'Impersonate-User': 'eve' }, alice);
    expect((other.json as { message: string }).message).to.equal(
      'users "eve" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    // A group needs its own permission.
    const group = await pods({ 'Impersonate-User': 'bob', 'Impersonate-Group': 'system:masters' }, alice);
    expect((group.json as { message: string }).message).to.equal(
      'groups "system:masters" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope',
    );
  });

  it('impersonates a service account with its groups, checked on serviceaccounts in its namespace', async () => {
    const alice = credentials(env, 'alice').token;
    const account = `system:serviceaccount:${env.namespace}:operator`;
    const denied = await pods({ 'Impersonate-User': account }, alice);
    expect((denied.json as { message: string }).message).to.equal(
      `serviceaccounts "operator" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "${env.namespace}"`,
    );
    await bindClusterRole('pod-reader', { kind: 'Group', name: `system:serviceaccounts:${env.namespace}` }, [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ]);
    expect((await pods({ 'Impersonate-User': account })).status).to.equal(200);
    const elsewhere = await pods({ 'Impersonate-User': 'system:serviceaccount:other:operator' });
    expect((elsewhere.json as { message: string }).message).to.equal(
      `pods is forbidden: User "system:serviceaccount:other:operator" cannot list resource "pods" in API group "" in the namespace "${env.namespace}"`,
    );
  });

  it('checks uids and extras as kube-apiserver does (authentication.k8s.io uids, userextras/KEY)', async () => {
    const alice = credentials(env, 'alice').token;
    await bindClusterRole('impersonator', { kind: 'User', name: 'alice' }, [
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
    ]);
    const uid = await pods({ 'Impersonate-User': 'bob', 'Impersonate-Uid': 'u-1' }, alice);
    expect((uid.json as { message: string }).message).to.equal(
      'uids.authentication.k8s.io "u-1" is forbidden: User "alice" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope',
    );
    const extra = await pods({ 'Impersonate-User': 'bob', 'Impersonate-Extra-Scopes': 'view' }, alice);
    expect((extra.json as { message: string }).message).to.equal(
      'userextras.authentication.k8s.io "view" is forbidden: User "alice" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope',
    );
  });

  it('refuses groups without a user (500, as kube-apiserver)', async () => {
    const answer = await pods({ 'Impersonate-Group': 'devs' });
    expect(answer.status).to.equal(500);
    expect(answer.json).to.deep.include({ reason: 'InternalError' });
    expect((answer.json as { message: string }).message).to.contain('without impersonating a user');
  });
});

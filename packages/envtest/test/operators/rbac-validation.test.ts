import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { raw } from '../support/raw-client.js';
import { expectInvalid, invalid, required, unsupported } from '../support/invalid-status.js';

const RBAC = 'rbac.authorization.k8s.io';

describe('envtest RBAC object validation (as kube-apiserver)', () => {
  const env = useEnvtest();
  const roles = () => `/apis/${RBAC}/v1/namespaces/${env.namespace}/roles`;
  const post = (path: string, body: Record<string, unknown>) =>
    raw(env, 'POST', path, { body: { metadata: { name: 'r' }, ...body } });
  const role = { kind: 'Role', group: RBAC, name: 'r' };
  const clusterRole = { kind: 'ClusterRole', group: RBAC, name: 'r' };

  it('answers 422 to a rule without verbs', async () => {
    const answer = await post(roles(), { rules: [{ apiGroups: [''], resources: ['pods'] }] });
    expectInvalid(
      answer,
      role,
      `Role.${RBAC} "r" is invalid: rules[0].verbs: Required value: verbs must contain at least one value`,
      [required('rules[0].verbs', 'verbs must contain at least one value')],
    );
  });

  it('answers 422 to a resource rule without apiGroups or resources', async () => {
    const answer = await post(`/apis/${RBAC}/v1/clusterroles`, { rules: [{ verbs: ['get'] }] });
    expectInvalid(
      answer,
      clusterRole,
      `ClusterRole.${RBAC} "r" is invalid: [rules[0].apiGroups: Required value: resource rules must supply at least one api group, rules[0].resources: Required value: resource rules must supply at least one resource]`,
      [
        required('rules[0].apiGroups', 'resource rules must supply at least one api group'),
        required('rules[0].resources', 'resource rules must supply at least one resource'),
      ],
    );
  });

  it('answers 422 to non-resource URLs in a Role', async () => {
    const answer = await post(roles(), { rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }] });
    const cause = invalid(
      'rules[0].nonResourceURLs',
      '[]string{"/healthz"}',
      'namespaced rules cannot apply to non-resource URLs',
    );
    expectInvalid(answer, role, `Role.${RBAC} "r" is invalid: rules[0].nonResourceURLs: ${cause.message}`, [
      cause,
    ]);
  });

  it('answers 422 to a ClusterRole rule mixing resources and non-resource URLs', async () => {
    const answer = await post(`/apis/${RBAC}/v1/clusterroles`, {
      rules: [
        { apiGroups: [''], resources: ['pods'], nonResourceURLs: ['/metrics', '/healthz'], verbs: ['get'] },
      ],
    });
    const cause = invalid(
      'rules[0].nonResourceURLs',
      '[]string{"/metrics", "/healthz"}',
      'rules cannot apply to both regular resources and non-resource URLs',
    );
    expectInvalid(
      answer,
      clusterRole,
      `ClusterRole.${RBAC} "r" is invalid: rules[0].nonResourceURLs: ${cause.message}`,
      [cause],
    );
  });

  it('answers 422 to an aggregationRule without selectors', async () => {
    const answer = await post(`/apis/${RBAC}/v1/clusterroles`, { aggregationRule: {} });
    const detail = 'at least one clusterRoleSelector required if aggregationRule is non-nil';
    expectInvalid(
      answer,
      clusterRole,
      `ClusterRole.${RBAC} "r" is invalid: aggregationRule.clusterRoleSelectors: Required value: ${detail}`,
      [required('aggregationRule.clusterRoleSelectors', detail)],
    );
  });

  it('accepts a ClusterRole with non-resource URLs only', async () => {
    const answer = await post(`/apis/${RBAC}/v1/clusterroles`, {
      rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
    });
    expect(answer.status, answer.text).to.equal(201);
  });

  it('answers 422 to a ServiceAccount subject without namespace in a ClusterRoleBinding', async () => {
    const answer = await post(`/apis/${RBAC}/v1/clusterrolebindings`, {
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'operator' }],
    });
    expectInvalid(
      answer,
      { kind: 'ClusterRoleBinding', group: RBAC, name: 'r' },
      `ClusterRoleBinding.${RBAC} "r" is invalid: subjects[0].namespace: Required value`,
      [required('subjects[0].namespace')],
    );
  });

  it('answers 422 to a ClusterRoleBinding of a Role', async () => {
    const answer = await post(`/apis/${RBAC}/v1/clusterrolebindings`, {
      roleRef: { apiGroup: RBAC, kind: 'Role', name: 'view' },
    });
    const cause = unsupported('roleRef.kind', 'Role', ['ClusterRole']);
    expectInvalid(
      answer,
      { kind: 'ClusterRoleBinding', group: RBAC, name: 'r' },
      `ClusterRoleBinding.${RBAC} "r" is invalid: roleRef.kind: ${cause.message}`,
      [cause],
    );
  });

  it('answers 422 to a RoleBinding with a wrong roleRef group and bad subjects', async () => {
    const answer = await post(`/apis/${RBAC}/v1/namespaces/${env.namespace}/rolebindings`, {
      roleRef: { apiGroup: 'rbac', kind: 'Role', name: 'r' },
      subjects: [
        { kind: 'Robot', name: 'r2' },
        { kind: 'User', name: '' },
        { kind: 'ServiceAccount', name: 'sa', apiGroup: RBAC },
      ],
    });
    const group = unsupported('roleRef.apiGroup', 'rbac', [RBAC]);
    const kind = unsupported('subjects[0].kind', 'Robot', ['ServiceAccount', 'User', 'Group']);
    const saGroup = unsupported('subjects[2].apiGroup', RBAC, ['']);
    expectInvalid(
      answer,
      { kind: 'RoleBinding', group: RBAC, name: 'r' },
      `RoleBinding.${RBAC} "r" is invalid: [roleRef.apiGroup: ${group.message}, subjects[0].kind: ${kind.message}, subjects[1].name: Required value, subjects[2].apiGroup: ${saGroup.message}]`,
      [group, kind, required('subjects[1].name'), saGroup],
    );
  });

  it('defaults roleRef.apiGroup and answers 422 to a changed roleRef', async () => {
    const path = `/apis/${RBAC}/v1/namespaces/${env.namespace}/rolebindings`;
    const created = await post(path, {
      roleRef: { kind: 'Role', name: 'a' },
      subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
    });
    expect(created.status, created.text).to.equal(201);
    expect(created.json).to.have.nested.property('roleRef.apiGroup', RBAC);
    const answer = await raw(env, 'PUT', `${path}/r`, {
      body: { metadata: { name: 'r' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'b' } },
    });
    const cause = invalid(
      'roleRef',
      `rbac.RoleRef{APIGroup:"${RBAC}", Kind:"Role", Name:"b"}`,
      'cannot change roleRef',
    );
    expectInvalid(
      answer,
      { kind: 'RoleBinding', group: RBAC, name: 'r' },
      `RoleBinding.${RBAC} "r" is invalid: roleRef: ${cause.message}`,
      [cause],
    );
  });
});

import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { usePythonClient } from '../support/python-client.js';

interface Failure {
  readonly status: number;
  readonly body: { readonly reason: string; readonly message: string; readonly details?: unknown };
}

/**
 * The official Python client (kubernetes on PyPI, python3-kubernetes in Debian) against envtest,
 * each answer as kube-apiserver gives it. Skipped where no Python has the client.
 */
describe('envtest with the official Python client', () => {
  const env = useEnvtest({ users: [{ name: 'alice' }] });
  const python = usePythonClient(env);

  it('creates, reads, replaces, lists and deletes, with Status errors as ApiException', async () => {
    const result = await python('crud');
    expect(result['replaced']).to.deep.equal({ k: 'w' });
    expect(result['names']).to.deep.equal(['a']);
    const exists = result['exists'] as Failure;
    expect(exists.status).to.equal(409);
    expect(exists.body).to.deep.include({
      reason: 'AlreadyExists',
      message: 'configmaps "a" already exists',
    });
    const conflict = result['conflict'] as Failure;
    expect(conflict.status).to.equal(409);
    expect(conflict.body).to.deep.include({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again',
    });
    expect((result['missing'] as Failure).body).to.deep.include({
      reason: 'NotFound',
      message: 'configmaps "a" not found',
    });
    const invalid = result['invalid'] as Failure;
    expect(invalid.status).to.equal(422);
    expect(invalid.body.reason).to.equal('Invalid');
    expect(invalid.body.message).to.match(
      /^ConfigMap "Not_Valid" is invalid: metadata\.name: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain/,
    );
  });

  it('watches from a resourceVersion with watch.Watch (which sends watch=True)', async () => {
    const result = await python('watch');
    expect(result['events']).to.deep.equal([
      ['ADDED', 'w', '1'],
      ['MODIFIED', 'w', '2'],
      ['DELETED', 'w', '2'],
    ]);
  });

  it('applies server-side: create, conflict, force, removal of fields a manager stops applying', async () => {
    const result = await python('apply');
    const owners = (key: string): [string, string, Record<string, Record<string, unknown>>][] =>
      result[key] as [string, string, Record<string, Record<string, unknown>>][];
    expect(owners('created').map(([manager, operation]) => [manager, operation])).to.deep.equal([
      ['alpha', 'Apply'],
    ]);
    const conflict = result['conflict'] as Failure;
    expect(conflict.status).to.equal(409);
    expect(conflict.body).to.deep.include({
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "alpha": .data.shared',
      details: {
        causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alpha"', field: '.data.shared' }],
      },
    });
    const forced = Object.fromEntries(
      owners('forced').map(([manager, , fields]) => [manager, Object.keys(fields['f:data'] ?? {})]),
    );
    expect(forced['alpha']).to.include('f:a').and.not.include('f:shared');
    expect(forced['beta']).to.include('f:shared');
    // alpha applies no data any more: its key goes, beta's stays.
    expect(result['afterRemoval']).to.deep.equal({ shared: 'y' });
  });

  it('answers an RBAC user 403 Forbidden and protects kube-system', async () => {
    const forbidden = (await python('forbidden', 'alice'))['pods'] as Failure;
    expect(forbidden.status).to.equal(403);
    expect(forbidden.body).to.deep.include({
      reason: 'Forbidden',
      message: `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "${env.namespace}"`,
    });
    const protectedNamespace = (await python('protected'))['delete'] as Failure;
    expect(protectedNamespace.status).to.equal(403);
    expect(protectedNamespace.body).to.deep.include({
      reason: 'Forbidden',
      message: 'namespaces "kube-system" is forbidden: this namespace may not be deleted',
    });
  });

  it('shows an events.k8s.io/v1 Event through core/v1, and drops status on create', async () => {
    const events = await python('events');
    expect(events['events']).to.deep.equal([
      ['e1', 'Tested', 'from events.k8s.io/v1', 'x', 'example.com/test'],
    ]);
    const status = (await python('status'))['status'] as Record<string, unknown>;
    expect(status['replicas']).to.equal(null);
    expect(status['ready_replicas']).to.equal(null);
  });

  it('creates a CRD, then validates, defaults and prunes its custom resources', async () => {
    const result = await python('crd');
    expect(result['created']).to.deep.equal({ size: 2, mode: 'safe' });
    const invalid = result['invalid'] as Failure;
    expect(invalid.status).to.equal(422);
    expect(invalid.body).to.deep.include({
      reason: 'Invalid',
      message:
        'Widget.python.example.com "bad" is invalid: [spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1, spec.mode: Unsupported value: "slow": supported values: "fast", "safe"]',
    });
  });
});

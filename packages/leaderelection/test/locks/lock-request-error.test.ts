import { expect } from 'chai';
import { KubeClientError } from '@kubekit/client';
import { LeaderElectionError } from '@kubekit/leaderelection';
import { lockRequestError } from '#lib/locks/kube-request.js';

const request = { lock: 'lease ns/op', verb: 'update', resource: 'leases', namespace: 'ns' } as const;
const live = new AbortController().signal;

function status(code: number, reason: string, message: string, retryAfter?: number): KubeClientError {
  return new KubeClientError('api', `PUT /x: ${String(code)} ${reason}: ${message}`, {
    code,
    status: { kind: 'Status', status: 'Failure', reason, message, code },
    ...(retryAfter === undefined ? {} : { retryAfter }),
  });
}

describe('lockRequestError', () => {
  it('turns 409 into lockConflict', () => {
    const error = lockRequestError(status(409, 'Conflict', 'the object has been modified'), request, live);
    expect(error.kind).to.equal('lockConflict');
    expect(error.statusCode).to.equal(409);
    expect(error.message).to.equal(
      'lease ns/op: update conflicted (Conflict: the object has been modified): someone else wrote the lock',
    );
  });

  it('tells what RBAC to grant on 403', () => {
    const error = lockRequestError(status(403, 'Forbidden', 'no'), request, live);
    expect(error.kind).to.equal('forbidden');
    expect(error.message).to.include(
      'grant RBAC leases: get, create, update, watch (and events: create) in namespace ns',
    );
  });

  it('mentions Retry-After on 429', () => {
    const error = lockRequestError(status(429, 'TooManyRequests', 'slow down', 3), request, live);
    expect(error.kind).to.equal('apiError');
    expect(error.message).to.include('throttled by the API server (429, Retry-After 3s');
  });

  it('points at the API server on 5xx, and at the namespace on 404', () => {
    expect(lockRequestError(status(503, 'ServiceUnavailable', 'x'), request, live).message).to.include(
      "server error (HTTP 503: ServiceUnavailable: x); check the API server's health",
    );
    expect(lockRequestError(status(404, 'NotFound', 'x'), request, live).message).to.include(
      'does namespace ns exist',
    );
    expect(lockRequestError(status(422, 'Invalid', 'x'), request, live).message).to.include(
      'was refused (HTTP 422',
    );
  });

  it('maps 410 to watchExpired', () => {
    expect(lockRequestError({ statusCode: 410, message: 'too old' }, request, live).kind).to.equal(
      'watchExpired',
    );
  });

  it('reports network failures as unreachable', () => {
    const error = lockRequestError(new KubeClientError('network', 'ECONNREFUSED: x'), request, live);
    expect(error.kind).to.equal('apiError');
    expect(error.statusCode).to.equal(undefined);
    expect(error.message).to.include('could not reach the API server (ECONNREFUSED: x)');
  });

  it('reports an authentication that did not finish in time as a timeout', () => {
    const error = lockRequestError(
      new KubeClientError(
        'authTimeout',
        'authentication did not finish within 5000 ms (a hung exec plugin?)',
      ),
      request,
      live,
    );
    expect(error.kind).to.equal('timeout');
    expect(error.message).to.include('hung exec plugin');
  });

  it('reports a failed authentication as such', () => {
    const error = lockRequestError(new KubeClientError('auth', 'exec plugin exited 1'), request, live);
    expect(error.kind).to.equal('apiError');
    expect(error.message).to.include(
      "could not authenticate (exec plugin exited 1); check the kubeconfig's user",
    );
  });

  it('returns the abort reason when the request was aborted', () => {
    const controller = new AbortController();
    const reason = new LeaderElectionError('timeout', 'too slow');
    controller.abort(reason);
    expect(lockRequestError(new Error('aborted'), request, controller.signal)).to.equal(reason);
    const other = new AbortController();
    other.abort(new Error('x'));
    expect(lockRequestError(new Error('aborted'), request, other.signal).kind).to.equal('timeout');
  });

  it('passes LeaderElectionErrors through', () => {
    const error = new LeaderElectionError('apiError', 'x');
    expect(lockRequestError(error, request, live)).to.equal(error);
  });

  it('keeps a plain-text body readable', () => {
    const error = lockRequestError(
      new KubeClientError('api', 'PUT /x: 500: upstream connect error', { code: 500 }),
      request,
      live,
    );
    expect(error.message).to.include('upstream connect error');
  });
});

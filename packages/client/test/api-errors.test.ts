import { expect } from 'chai';
import {
  isAlreadyExists,
  isConflict,
  isExpired,
  isGone,
  isInternalError,
  isNotAcceptable,
  isNotFound,
  isRequestEntityTooLarge,
  isServerTimeout,
  isTooManyRequests,
  KubeClientError,
} from '@kubekit/client';

/** An API error of HTTP `code` whose Status has `reason` (none: a body that is not a Status). */
function apiError(code: number, reason?: string): KubeClientError {
  return new KubeClientError('api', `${String(code)} ${reason ?? ''}`, {
    code,
    ...(reason === undefined ? {} : { status: { kind: 'Status', code, reason } }),
  });
}

describe('API error helpers (apimachinery semantics)', () => {
  it('judge an unknown reason by its code, a known reason by itself', () => {
    for (const reason of [undefined, '', 'Unknown', 'SomethingNewer']) {
      expect(isNotFound(apiError(404, reason)), String(reason)).to.be.true;
      expect(isNotAcceptable(apiError(406, reason)), String(reason)).to.be.true;
      expect(isConflict(apiError(409, reason)), String(reason)).to.be.true;
      expect(isGone(apiError(410, reason)), String(reason)).to.be.true;
      expect(isInternalError(apiError(500, reason)), String(reason)).to.be.true;
    }
    // A known reason with another code is that reason only.
    expect(isNotFound(apiError(404, 'Forbidden'))).to.be.false;
    expect(isGone(apiError(410, 'Expired'))).to.be.false;
    expect(isInternalError(apiError(500, 'ServerTimeout'))).to.be.false;
    expect(isServerTimeout(apiError(500, 'ServerTimeout'))).to.be.true;
  });

  it('AlreadyExists, Expired and ServerTimeout by reason only; 429 and 413 by code whatever the reason', () => {
    expect(isAlreadyExists(apiError(409))).to.be.false;
    expect(isAlreadyExists(apiError(409, 'AlreadyExists'))).to.be.true;
    expect(isExpired(apiError(410))).to.be.false;
    expect(isExpired(apiError(410, 'Gone'))).to.be.false;
    expect(isExpired(apiError(410, 'Expired'))).to.be.true;
    expect(isServerTimeout(apiError(504))).to.be.false;
    expect(isTooManyRequests(apiError(429, 'Forbidden'))).to.be.true;
    expect(isRequestEntityTooLarge(apiError(413, 'BadRequest'))).to.be.true;
  });
});

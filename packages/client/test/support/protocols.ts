import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import type { TestEnvtest, UseEnvtestOptions } from '@kubekit/envtest/testing';

/** The protocols the integration suites run over, as ALPN names them. */
export const PROTOCOLS = ['h2', 'http/1.1'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/**
 * `useEnvtest` serving `protocol`: for `h2` the server offers `h2` and `http/1.1` by ALPN (as
 * kube-apiserver does) and the client has to choose h2; for `http/1.1` it offers HTTP/1.1 only.
 * After each passing test, checks that none of its requests arrived over the other protocol: a
 * suite cannot pass over the wrong protocol by mistake.
 */
export function useEnvtestOver(protocol: Protocol, options: UseEnvtestOptions = {}): TestEnvtest {
  const env = useEnvtest({ ...options, http2: protocol === 'h2' });
  let before = { h2: 0, 'http/1.1': 0 };
  beforeEach(() => {
    before = env.connectionStats().requests;
  });
  afterEach(function () {
    if (this.currentTest?.state !== 'passed') return;
    const after = env.connectionStats().requests;
    const sent = { h2: after.h2 - before.h2, 'http/1.1': after['http/1.1'] - before['http/1.1'] };
    if (sent.h2 + sent['http/1.1'] === 0) return;
    const other = protocol === 'h2' ? 'http/1.1' : 'h2';
    expect(sent[other], `requests over ${other} in a suite over ${protocol}`).to.equal(0);
  });
  return env;
}

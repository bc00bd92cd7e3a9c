import { expect } from 'chai';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { useEnvtest } from '@kubekit/envtest/testing';
import { KubeClientError } from '@kubekit/client';
import { rejectionOf } from '../support/rejection.js';
import { useClients } from '../support/clients.js';

describe('Transport: requests waiting for a connection (integration)', function () {
  const env = useEnvtest();
  const client = useClients(env);
  const gets = (): number => env.counters.count({ verb: 'get', resource: 'configmaps' });

  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(condition()).to.equal(true);
  }

  it('fails a queued request at its deadline and an aborted one at once, never sending them; the pool goes on', async () => {
    // HTTP/1.1 on purpose: one connection holds one request at a time, so the others wait for it.
    const c = client({ connections: 1, allowH2: false });
    const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace, name: 'a' };
    await c.create<ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', namespace: env.namespace },
    });
    const fault = env.faults.add({ verb: 'get', resource: 'configmaps', hang: true });
    // Holds the only connection until the fault is removed.
    const hung = c.get(cmRef, { timeoutMs: 0 }).catch(() => undefined);
    await until(() => gets() === 1);

    const started = performance.now();
    const timedOut = await rejectionOf(c.get(cmRef, { timeoutMs: 200 }));
    expect(KubeClientError.is(timedOut, 'timeout'), String(timedOut)).to.equal(true);
    expect(performance.now() - started).to.be.below(5000);

    const stop = new AbortController();
    const pending = rejectionOf(c.get(cmRef, { signal: stop.signal }));
    stop.abort(new Error('enough'));
    const aborted = await pending;
    expect(KubeClientError.is(aborted, 'aborted'), String(aborted)).to.equal(true);

    fault.remove(); // the hung GET's connection drops: it is sent once more (idempotent) and answered
    await hung;
    const before = gets();
    const read = await c.get<ConfigMap>(cmRef);
    expect(read.metadata?.name).to.equal('a');
    // Only the hung GET, its repeat and the last one reached the server: the queued ones never left.
    expect(before).to.equal(2);
    expect(gets()).to.equal(3);
  });

  it('sends nothing when the signal has already aborted', async () => {
    const c = client();
    const stop = new AbortController();
    stop.abort(new Error('before'));
    const failed = await rejectionOf(
      c.transport.json({ method: 'GET', path: '/api/v1', signal: stop.signal }),
    );
    expect(KubeClientError.is(failed, 'aborted'), String(failed)).to.equal(true);
    expect(env.counters.count({})).to.equal(0);
  });
});

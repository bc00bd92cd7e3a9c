import { expect } from 'chai';
import sinon from 'sinon';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeHttpClient } from '#lib/kube/kube-http-client.js';

/** A KubeConfig whose client key is not a key: TLS refuses it before any connection is made. */
function malformedKeyConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:9', skipTLSVerify: true }],
    users: [
      {
        name: 'u',
        certData: Buffer.from('not a certificate').toString('base64'),
        keyData: Buffer.from('not a key').toString('base64'),
      },
    ],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

describe('KubeHttpClient (requests that fail before they are sent)', () => {
  let clock: sinon.SinonFakeTimers;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });

  afterEach(() => {
    clock.restore();
  });

  it('regression: a watch that fails synchronously does not throw 30 s later', async () => {
    const client = KubeHttpClient.for(malformedKeyConfig());
    const ends: unknown[] = [];
    const started = client.watch(
      '/apis/coordination.k8s.io/v1/namespaces/ns/leases',
      {},
      () => undefined,
      (error) => ends.push(error),
    );
    await started.then(
      () => undefined,
      () => undefined,
    );
    // The inactivity timer of the failed watch must be gone: firing it would throw in a timer.
    expect(() => clock.tick(60_000)).to.not.throw();
    // The failure is reported through `done`, exactly once.
    expect(ends).to.have.length(1);
    expect(ends[0]).to.be.instanceOf(Error);
  });

  it('regression: a request that fails synchronously leaves nothing on its signal', async () => {
    const client = KubeHttpClient.for(malformedKeyConfig());
    const controller = new AbortController();
    const error = await client.request('GET', '/api/v1/namespaces', undefined, controller.signal).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(Error);
    // Aborting later must not reach a listener of the failed request (it would throw in it).
    const uncaught: unknown[] = [];
    const record = (failure: unknown): void => {
      uncaught.push(failure);
    };
    process.prependListener('uncaughtException', record);
    try {
      controller.abort();
      await clock.tickAsync(0);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', record);
    }
    expect(uncaught).to.deep.equal([]);
  });
});

import { expect } from 'chai';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { clientNodeConfiguration, createClient, KubeClientError, Transport } from '@kubekit/client';
import { rejectionOf } from './support/rejection.js';
import { startRecordingServer } from './support/recording-server.js';
import { kubeConfigWith } from './support/kube-configs.js';

describe('clientNodeConfiguration', () => {
  it('rejects a kubeconfig without a current cluster', () => {
    const transport = new Transport({ kubeConfig: new KubeConfig(), metrics: null });
    expect(() => clientNodeConfiguration(transport)).to.throw(KubeClientError, /no current cluster/);
  });

  it("sends client-node's requests under the server URL's path, with its query and headers", async () => {
    const server = await startRecordingServer(() => ({
      status: 200,
      body: { kind: 'ConfigMapList', items: [], metadata: {} },
    }));
    const cluster = server.kubeConfig.getCurrentCluster();
    const kubeConfig = kubeConfigWith(
      { ...cluster!, server: `${cluster!.server}/` },
      { name: 'u', token: 't' },
    );
    const client = createClient({ kubeConfig, metrics: null });
    try {
      const core = new CoreV1Api(clientNodeConfiguration(client));
      await core.listNamespacedConfigMap({ namespace: 'ns', labelSelector: 'a=b', limit: 2 });
      expect(server.requests.map((r) => r.url)).to.deep.equal([
        '/api/v1/namespaces/ns/configmaps?labelSelector=a%3Db&limit=2',
      ]);
      expect(server.requests[0]?.headers.authorization).to.equal('Bearer t');
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('Transport', () => {
  it('rejects an invalid rate limit at construction', () => {
    for (const rateLimit of [
      { qps: 0, burst: 1 },
      { qps: 1, burst: 0 },
    ]) {
      expect(() => new Transport({ kubeConfig: new KubeConfig(), rateLimit, metrics: null })).to.throw(
        KubeClientError,
        /rateLimit/,
      );
    }
  });

  it('fails with kind invalidArgument for a header undici refuses (a token with a line break)', async () => {
    const kubeConfig = kubeConfigWith(
      { name: 'c', server: 'http://127.0.0.1:9', skipTLSVerify: true },
      { name: 'u', token: 'abc\r\nX-Injected: 1' },
    );
    const transport = new Transport({ kubeConfig, metrics: null });
    try {
      const error = await rejectionOf(transport.json({ method: 'GET', path: '/x' }));
      expect(KubeClientError.is(error, 'invalidArgument'), String(error)).to.be.true;
    } finally {
      await transport.close();
    }
  });

  it('fails with kind network when nothing listens, after one more try', async () => {
    const kubeConfig = kubeConfigWith(
      { name: 'c', server: 'http://127.0.0.1:9', skipTLSVerify: true },
      { name: 'u' },
    );
    const transport = new Transport({ kubeConfig, metrics: null });
    try {
      const error = await rejectionOf(transport.json({ method: 'POST', path: '/x', body: '{}' }));
      expect(KubeClientError.is(error, 'network'), String(error)).to.be.true;
    } finally {
      await transport.close();
    }
  });
});

/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals and spreads are how its API is meant to be used. */
import diagnostics from 'node:diagnostics_channel';
import { expect } from 'chai';
import { ApiException, CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { clientNodeConfiguration, createClient } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import { rejectionOf } from '../support/rejection.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';

for (const protocol of PROTOCOLS) {
  describe(`clientNodeConfiguration on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    let client: KubeClient;
    let registry: Registry;
    let connections = 0;
    const onConnected = (): void => {
      connections += 1;
    };

    beforeEach(() => {
      registry = new Registry();
      client = createClient({ kubeConfig: env.kubeConfig, metrics: registry, rateLimit: false });
      connections = 0;
      diagnostics.subscribe('undici:client:connected', onConnected);
    });
    afterEach(async () => {
      diagnostics.unsubscribe('undici:client:connected', onConnected);
      await client.close();
    });

    it("runs client-node's generated APIs over the client's connections, models and errors unchanged", async () => {
      const core = new CoreV1Api(clientNodeConfiguration(client));
      const leases = new CoordinationV1Api(clientNodeConfiguration(client.transport));
      const created = await core.createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'a' }, data: { k: 'v' } },
      });
      expect(created.metadata?.creationTimestamp).to.be.instanceOf(Date);
      for (let i = 0; i < 10; i++)
        await core.readNamespacedConfigMap({ namespace: env.namespace, name: 'a' });
      await leases.createNamespacedLease({
        namespace: env.namespace,
        body: { metadata: { name: 'l' }, spec: { holderIdentity: 'x', leaseDurationSeconds: 5 } },
      });
      const missing = await rejectionOf(
        core.readNamespacedConfigMap({ namespace: env.namespace, name: 'nope' }),
      );
      expect(missing).to.be.instanceOf(ApiException);
      expect((missing as ApiException<string>).code).to.equal(404);
      // client-node alone opens a connection per request; through the client, a keep-alive pool.
      expect(connections).to.be.at.most(2);
      expect(await registry.metrics()).to.match(
        /rest_client_requests_total\{code="200",method="GET",host="[^"]+"\} 10/,
      );
    });
  });
}

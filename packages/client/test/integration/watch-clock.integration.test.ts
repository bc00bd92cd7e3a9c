import { expect } from 'chai';
import { createClient, KubeClientError } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import { VirtualClock } from '../support/virtual-clock.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';

/** Lets socket and promise callbacks run for a few real milliseconds. */
const settle = (ms = 50): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const protocol of PROTOCOLS) {
  describe(`KubeClient.watch timeouts in the client's clock on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    let client: KubeClient;
    let clock: VirtualClock;

    beforeEach(() => {
      clock = new VirtualClock();
      client = createClient({ kubeConfig: env.kubeConfig, metrics: null, rateLimit: false, clock });
    });
    afterEach(async () => {
      await client.close(false);
    });

    const kind = () => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace });

    it('fails a silent watch with kind timeout once the virtual inactivity timeout has passed, not before', async () => {
      const start = await client.list(kind());
      const watch = client.watch(kind(), {
        resourceVersion: start.metadata.resourceVersion,
        inactivityTimeoutMs: 10_000,
      });
      const events = watch[Symbol.asyncIterator]();
      let failed: unknown;
      const first = events.next();
      await client.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'a', namespace: env.namespace },
      });
      expect((await first).value?.type).to.equal('ADDED');
      const next = events.next().catch((error: unknown) => {
        failed = error;
      });
      clock.advance(9_999);
      await settle(200); // real time passes too: only the clock's counts
      expect(failed, 'before the timeout').to.equal(undefined);
      clock.advance(1);
      await next;
      expect(KubeClientError.is(failed, 'timeout'), String(failed)).to.be.true;
      expect(String(failed)).to.include('no data for 10000 ms');
    });

    it('fails with kind timeout when the server does not answer the watch within the virtual timeout', async () => {
      env.faults.add({ verb: 'watch', resource: 'configmaps', hang: true, times: 1 });
      let failed: unknown;
      const watch = client.watch(kind(), { inactivityTimeoutMs: 5_000 });
      const next = watch[Symbol.asyncIterator]()
        .next()
        .catch((error: unknown) => {
          failed = error;
        });
      await settle(200);
      expect(failed).to.equal(undefined);
      clock.advance(5_000);
      await next;
      expect(KubeClientError.is(failed, 'timeout'), String(failed)).to.be.true;
    });
  });
}

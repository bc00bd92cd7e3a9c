import { expect } from 'chai';
import { createClient } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import { VirtualClock } from '../support/virtual-clock.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';

for (const protocol of PROTOCOLS) {
  describe(`the default rate limit on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    let c: KubeClient | undefined;

    afterEach(async () => {
      await c?.close(false);
      c = undefined;
    });

    it('lets a burst of 30 requests through at once and holds the 31st for 50 ms of clock time (20 QPS)', async () => {
      const clock = new VirtualClock();
      // No rateLimit: controller-runtime's defaults, 20 QPS and bursts of 30.
      c = createClient({ kubeConfig: env.kubeConfig, metrics: null, clock });
      const transport = c.transport;
      const path = `/api/v1/namespaces/${env.namespace}/configmaps`;
      const lists = () => env.counters.count({ verb: 'list', resource: 'configmaps' });
      let done = 0;
      const calls = Array.from({ length: 31 }, () =>
        transport.json({ method: 'GET', path }).then(() => (done += 1)),
      );
      for (let i = 0; i < 500 && done < 30; i++) await new Promise((r) => setTimeout(r, 10));
      expect(done).to.equal(30);
      expect(lists()).to.equal(30);
      expect(clock.sleeps).to.deep.equal([50]);
      expect(clock.waiting).to.equal(1);
      // Real time passes, clock time does not: the 31st stays in the client.
      await new Promise((r) => setTimeout(r, 100));
      expect(lists()).to.equal(30);
      clock.advance(49);
      await new Promise((r) => setTimeout(r, 50));
      expect(lists()).to.equal(30);
      clock.advance(1);
      await Promise.all(calls);
      expect(lists()).to.equal(31);
    });
  });
}

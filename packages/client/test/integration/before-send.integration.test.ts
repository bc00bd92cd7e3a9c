import { expect } from 'chai';
import { createClient, type KubeClient } from '@kubekit/client';
import { VirtualClock } from '../support/virtual-clock.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';

class Refused extends Error {}

for (const protocol of PROTOCOLS) {
  describe(`beforeSend on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    let c: KubeClient | undefined;

    afterEach(async () => {
      await c?.close(false);
      c = undefined;
    });

    const configMap = (
      name: string,
    ): { apiVersion: string; kind: string; metadata: { name: string; namespace: string } } => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: env.namespace },
    });
    const creates = (): number => env.counters.count({ verb: 'create', resource: 'configmaps' });

    it('is called right before the write leaves, after the rate limiter held it; a throw sends nothing', async () => {
      const clock = new VirtualClock();
      c = createClient({
        kubeConfig: env.kubeConfig,
        metrics: null,
        clock,
        rateLimit: { qps: 10, burst: 1 },
      });
      // Discovery and a list, the clock moved on whenever they wait: the mapping is known, and the
      // bucket is empty.
      const warmed = { done: false };
      const warming = c.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace }).then(() => {
        warmed.done = true;
      });
      while (!warmed.done) {
        if (clock.waiting > 0) clock.advance(100);
        await new Promise((r) => setTimeout(r, 5));
      }
      await warming;
      clock.sleeps.length = 0;
      const start = clock.now();
      let allowed = true;
      const calls: number[] = [];
      const pending = c
        .create(configMap('held'), {
          beforeSend: () => {
            calls.push(clock.now() - start);
            if (!allowed) throw new Refused('no longer allowed');
          },
        })
        .catch((e: unknown) => e);
      for (let i = 0; i < 100 && clock.waiting === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(clock.sleeps).to.deep.equal([100]);
      expect(calls, 'not called while the write waits').to.deep.equal([]);
      allowed = false; // e.g. the term ended while the write waited
      clock.advance(100);
      const error = await pending;
      expect(error).to.be.instanceOf(Refused);
      expect(calls).to.deep.equal([100]);
      expect(creates()).to.equal(0);
    });

    it('is called before each attempt: a 429 retry is checked again', async () => {
      const clock = new VirtualClock();
      c = createClient({ kubeConfig: env.kubeConfig, metrics: null, clock, rateLimit: false });
      env.faults.add({
        verb: 'create',
        resource: 'configmaps',
        error: { code: 429, retryAfterSeconds: 1 },
        times: 1,
      });
      let calls = 0;
      const pending = c
        .create(configMap('retried'), {
          beforeSend: () => {
            calls += 1;
            if (calls > 1) throw new Refused('refused at the retry');
          },
        })
        .catch((e: unknown) => e);
      for (let i = 0; i < 100 && clock.waiting === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(calls).to.equal(1);
      clock.advance(1000);
      expect(await pending).to.be.instanceOf(Refused);
      expect(calls).to.equal(2);
      expect(creates(), 'only the first attempt reached the server').to.equal(1);
    });
  });
}

import { expect } from 'chai';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { createClient, KubeClientError } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import type { TestEnvtest } from '@kubekit/envtest/testing';
import { rejectionOf } from '../support/rejection.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';

/** Requests the server has received so far, over either protocol. */
function received(env: TestEnvtest): number {
  const { requests } = env.connectionStats();
  return requests.h2 + requests['http/1.1'];
}

/** Resolves once the server has received `count` requests (real time, bounded generously). */
async function untilReceived(env: TestEnvtest, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (received(env) < count) {
    if (Date.now() > deadline)
      throw new Error(`the server received ${String(received(env))} of ${String(count)} requests`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

for (const protocol of PROTOCOLS) {
  describe(`KubeClient.listPages, pipelined, on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    let client: KubeClient;
    const kind = () => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace });
    const names = Array.from({ length: 7 }, (_, i) => `cm-${String(i)}`);

    beforeEach(async () => {
      client = createClient({ kubeConfig: env.kubeConfig, metrics: null, rateLimit: false });
      for (const name of names) {
        await client.create<ConfigMap>({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: env.namespace },
        });
      }
    });
    afterEach(async () => {
      await client.close();
    });

    it('asks for the next page while the iteration still holds the page before, and yields each object once, in order', async () => {
      const before = received(env);
      const seen: string[] = [];
      const pages: number[] = [];
      for await (const page of client.listPages<ConfigMap>(kind(), { pageSize: 3 })) {
        // The next page's request reaches the server although the iteration has not asked for it.
        if (page.metadata.continue !== undefined) await untilReceived(env, before + pages.length + 2);
        pages.push(page.items.length);
        seen.push(...page.items.map((item) => item.metadata?.name ?? ''));
      }
      expect(pages).to.deep.equal([3, 3, 1]);
      expect(seen).to.deep.equal([...names].sort());
      expect(received(env) - before).to.equal(3);
    });

    it('pages one request after the other with pipelined: false, with the same pages', async () => {
      const pages: string[][] = [];
      for await (const page of client.listPages<ConfigMap>(kind(), { pageSize: 3, pipelined: false })) {
        pages.push(page.items.map((item) => item.metadata?.name ?? ''));
      }
      expect(pages.flat()).to.deep.equal([...names].sort());
      expect(pages.map((page) => page.length)).to.deep.equal([3, 3, 1]);
    });

    it('reads the whole list in one request when the page asked for ahead answers 410 Expired', async () => {
      const before = received(env);
      // The first page waits at the server until the second page's failure is in place.
      env.faults.add({ verb: 'list', resource: 'configmaps', latencyMs: 1000, times: 1 });
      const all = client.listAll<ConfigMap>(kind(), { pageSize: 3 });
      await untilReceived(env, before + 1);
      env.faults.add({
        verb: 'list',
        resource: 'configmaps',
        error: { code: 410, message: 'the continue token is too old' },
        times: 1,
      });
      const list = await all;
      expect(list.items.map((item) => item.metadata?.name)).to.deep.equal([...names].sort());
      expect(list.metadata.continue).to.equal(undefined);
      // The first page, the second (410), then the whole list.
      expect(received(env) - before).to.equal(3);
    });

    it('fails with kind aborted when its signal aborts with a page requested ahead', async () => {
      const before = received(env);
      const controller = new AbortController();
      const error = await rejectionOf(
        (async () => {
          for await (const _ of client.listPages(kind(), { pageSize: 3, signal: controller.signal })) {
            await untilReceived(env, before + 2);
            controller.abort();
          }
        })(),
      );
      expect(KubeClientError.is(error, 'aborted'), String(error)).to.be.true;
    });

    it('aborts the request ahead when the iteration stops early', async () => {
      const before = received(env);
      env.faults.add({ verb: 'list', resource: 'configmaps', latencyMs: 1000, times: 1 });
      const pages = client.listPages(kind(), { pageSize: 3 })[Symbol.asyncIterator]();
      const first = pages.next();
      await untilReceived(env, before + 1);
      // The request ahead never gets an answer.
      const hang = env.faults.add({ verb: 'list', resource: 'configmaps', hang: true });
      expect((await first).done).to.equal(false);
      await untilReceived(env, before + 2);
      await pages.return(undefined);
      // A graceful close waits for requests in flight: it ends only because the one ahead was aborted.
      await client.close();
      hang.remove();
    });
  });
}

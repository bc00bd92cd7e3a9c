import { expect } from 'chai';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { createClient, isExpired, KubeClientError } from '@kubekit/client';
import type { KubeClient, WatchEvent } from '@kubekit/client';
import { rejectionOf } from '../support/rejection.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';

for (const protocol of PROTOCOLS) {
  describe(`KubeClient.watch on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol, { bookmarkIntervalMs: 100 });
    let client: KubeClient;

    beforeEach(() => {
      client = createClient({ kubeConfig: env.kubeConfig, metrics: null, rateLimit: false });
    });
    afterEach(async () => {
      await client.close(false);
    });

    const kind = () => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace });
    const cm = (name: string, labels: Record<string, string> = {}): ConfigMap => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: env.namespace, labels },
    });

    it('streams ADDED, MODIFIED and DELETED from a resourceVersion, with selectors', async () => {
      const start = await client.list(kind());
      const watch = client.watch<ConfigMap>(kind(), {
        resourceVersion: start.metadata.resourceVersion,
        labelSelector: 'app=x',
      });
      const events = watch[Symbol.asyncIterator]();
      const first = events.next();
      await client.create(cm('other'));
      await client.create(cm('a', { app: 'x' }));
      await client.patch({ ...kind(), name: 'a' }, { data: { k: 'v' } });
      await client.delete({ ...kind(), name: 'a' });
      const seen: string[] = [];
      let next = await first;
      for (;;) {
        seen.push(`${next.value!.type} ${next.value!.object.metadata!.name!}`);
        if (seen.length === 3) break;
        next = await events.next();
      }
      await events.return();
      expect(seen).to.deep.equal(['ADDED a', 'MODIFIED a', 'DELETED a']);
    });

    it('watches one object by name', async () => {
      await client.create(cm('a'));
      await client.create(cm('b'));
      for await (const event of client.watch({ ...kind(), name: 'b' }, { resourceVersion: '0' })) {
        expect(event.object.metadata?.name).to.equal('b');
        break;
      }
    });

    it('passes BOOKMARK events through when asked for them', async () => {
      const start = await client.list(kind());
      for await (const event of client.watch(kind(), {
        resourceVersion: start.metadata.resourceVersion,
        allowWatchBookmarks: true,
      })) {
        expect(event.type).to.equal('BOOKMARK');
        expect(event.object.metadata?.resourceVersion).to.be.a('string');
        break;
      }
    });

    it('throws a 410 ERROR event as an expired error', async () => {
      const old = await client.create(cm('a'));
      await client.create(cm('b'));
      env.cluster.compact();
      const error = await rejectionOf(
        (async () => {
          for await (const _ of client.watch(kind(), { resourceVersion: old.metadata?.resourceVersion })) {
            // nothing expected
          }
        })(),
      );
      expect(isExpired(error), String(error)).to.be.true;
    });

    it('calls onEstablished once the server answered, before any event; not for a refused watch', async () => {
      const start = await client.list(kind());
      let established = 0;
      const watch = client.watch(kind(), {
        resourceVersion: start.metadata.resourceVersion,
        onEstablished: () => (established += 1),
      });
      const events = watch[Symbol.asyncIterator]();
      const first = events.next();
      for (let i = 0; i < 500 && established === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(established, 'established on a quiet watch').to.equal(1);
      await client.create(cm('a'));
      expect((await first).value?.type).to.equal('ADDED');
      await events.return(undefined);
      expect(established).to.equal(1);

      env.faults.add({ verb: 'watch', resource: 'configmaps', error: { code: 403 }, times: 1 });
      let refused = 0;
      const refusedWatch = client.watch(kind(), { onEstablished: () => (refused += 1) });
      const error = await rejectionOf(refusedWatch[Symbol.asyncIterator]().next());
      expect(KubeClientError.is(error, 'api'), String(error)).to.be.true;
      expect(refused).to.equal(0);
    });

    it('ends the iteration when the server closes the stream', async () => {
      const events: WatchEvent[] = [];
      const done = (async () => {
        for await (const event of client.watch(kind(), { resourceVersion: '0' })) events.push(event);
      })();
      await client.create(cm('a'));
      for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(env.faults.dropWatches({ resource: 'configmaps' })).to.equal(1);
      await done;
      expect(events.map((e) => e.type)).to.deep.equal(['ADDED']);
    });

    it('throws kind network when the connection breaks mid-watch', async () => {
      const done = rejectionOf(
        (async () => {
          for await (const _ of client.watch(kind(), { resourceVersion: '0' })) {
            // nothing expected
          }
        })(),
      );
      await new Promise((r) => setTimeout(r, 100));
      env.faults.add({ partition: true });
      const error = await done;
      expect(KubeClientError.is(error, 'network'), String(error)).to.be.true;
    });

    it('fails with kind timeout after the inactivity timeout, and with kind aborted on abort', async () => {
      const quiet = await rejectionOf(
        (async () => {
          for await (const _ of client.watch(kind(), { resourceVersion: '0', inactivityTimeoutMs: 200 })) {
            // nothing expected
          }
        })(),
      );
      expect(KubeClientError.is(quiet, 'timeout'), String(quiet)).to.be.true;

      env.faults.add({ verb: 'watch', resource: 'configmaps', hang: true, times: 1 });
      const unanswered = await rejectionOf(
        client.watch(kind(), { inactivityTimeoutMs: 200 })[Symbol.asyncIterator]().next(),
      );
      expect(KubeClientError.is(unanswered, 'timeout'), String(unanswered)).to.be.true;

      const stop = new AbortController();
      const aborted = rejectionOf(
        (async () => {
          for await (const _ of client.watch(kind(), { resourceVersion: '0', signal: stop.signal })) {
            // nothing expected
          }
        })(),
      );
      setTimeout(() => {
        stop.abort();
      }, 100);
      expect(KubeClientError.is(await aborted, 'aborted'), String(await aborted)).to.be.true;
    });

    it('rejects a refused watch with an api error', async () => {
      env.faults.add({ verb: 'watch', error: { code: 403, message: 'no' } });
      const error = await rejectionOf(client.watch(kind())[Symbol.asyncIterator]().next());
      expect(KubeClientError.is(error, 'api')).to.be.true;
      expect((error as KubeClientError).code).to.equal(403);
    });
  });
}

import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { KubeClientError } from '@kubekit/client';
import { clusterOf, kubeConfigWith, tokenOf } from '../support/kube-configs.js';
import { rejectionOf } from '../support/rejection.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';
import { useClients } from '../support/clients.js';

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

for (const protocol of PROTOCOLS) {
  describe(`re-sending a request that never left, on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    const client = useClients(env);
    /** Ports of the connection attempts undici reported refused (or otherwise failed). */
    const refused: number[] = [];
    let onConnectError: (port: number) => void = () => undefined;
    const listener = (message: unknown): void => {
      const port = Number((message as { connectParams: { port: string | number } }).connectParams.port);
      refused.push(port);
      onConnectError(port);
    };
    const servers: net.Server[] = [];
    beforeEach(() => {
      refused.length = 0;
      onConnectError = () => undefined;
      diagnostics.subscribe('undici:client:connectError', listener);
    });
    afterEach(async () => {
      diagnostics.unsubscribe('undici:client:connectError', listener);
      for (const server of servers.splice(0)) {
        server.close();
        await once(server, 'close');
      }
    });

    const cm = (name: string): ConfigMap => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: env.namespace },
    });
    /** Creates ConfigMap `name` by a POST (no discovery first) through a client whose server URL has `port`. */
    const postOn = (port: number, name: string) => {
      const cluster = clusterOf(env.kubeConfig);
      const c = client({
        kubeConfig: kubeConfigWith(
          { ...cluster, server: `https://127.0.0.1:${String(port)}` },
          { name: 'admin', token: tokenOf(env.kubeConfig) },
        ),
      });
      return c.transport.json({
        method: 'POST',
        path: `/api/v1/namespaces/${env.namespace}/configmaps`,
        body: JSON.stringify(cm(name)),
      }) as Promise<ConfigMap>;
    };

    it('sends a POST whose connection was refused once more, and only once', async () => {
      const port = await closedPort();
      const error = await rejectionOf(postOn(port, 'never'));
      expect(KubeClientError.is(error, 'network'), String(error)).to.be.true;
      expect(refused).to.deep.equal([port, port]);
    });

    it('a POST refused once reaches the server that listens by the second attempt, and is applied once', async () => {
      const port = await closedPort();
      const target = Number(new URL(env.url).port);
      onConnectError = () => {
        if (servers.length > 0) return;
        // A plain TCP relay to envtest starts listening on the refused port (bound synchronously).
        const relay = net.createServer((socket) => {
          const upstream = net.connect(target, '127.0.0.1');
          socket.pipe(upstream).pipe(socket);
          socket.on('error', () => upstream.destroy());
          upstream.on('error', () => socket.destroy());
        });
        relay.listen(port, '127.0.0.1');
        servers.push(relay);
      };
      const created = await postOn(port, 'second-attempt');
      expect(created.metadata?.uid).to.be.a('string');
      expect(refused).to.deep.equal([port]);
      expect(env.counters.count({ verb: 'create', resource: 'configmaps' })).to.equal(1);
    });

    it('never sends again a POST that reached the server (its connection broke afterwards)', async () => {
      const c = client();
      await c.mapper.mapping('v1', 'ConfigMap');
      env.faults.add({ verb: 'create', resource: 'configmaps', partition: true, times: 1 });
      const error = await rejectionOf(c.create(cm('partitioned')));
      expect(KubeClientError.is(error, 'network'), String(error)).to.be.true;
      expect(env.counters.count({ verb: 'create', resource: 'configmaps' })).to.equal(1);
      expect(refused).to.deep.equal([]);
    });
  });
}

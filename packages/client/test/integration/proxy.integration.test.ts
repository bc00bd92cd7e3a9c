import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createClient } from '@kubekit/client';
import type { ClientOptions, KubeClient } from '@kubekit/client';
import { clusterOf, kubeConfigWith, tokenOf } from '../support/kube-configs.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';

/** A CONNECT proxy on 127.0.0.1 that records the targets it tunnels to. */
async function startProxy(): Promise<{ url: string; targets: string[]; close: () => Promise<void> }> {
  const targets: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_request, response) => {
    response.writeHead(405).end();
  });
  server.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = request.url ?? '';
    targets.push(target);
    const [host, port] = target.split(':');
    const upstream = net.connect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

for (const protocol of PROTOCOLS) {
  describe(`Transport through proxies over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    let proxy: Awaited<ReturnType<typeof startProxy>>;
    let client: KubeClient | undefined;

    beforeEach(async () => {
      proxy = await startProxy();
    });
    afterEach(async () => {
      await client?.close(false);
      client = undefined;
      await proxy.close();
    });

    const target = () => new URL(env.url).host;
    async function getNamespace(options: Partial<ClientOptions>): Promise<void> {
      client = createClient({
        kubeConfig: env.kubeConfig,
        metrics: null,
        rateLimit: false,
        env: {},
        ...options,
      });
      const ns = await client.get({ apiVersion: 'v1', kind: 'Namespace', name: env.namespace });
      expect(ns.metadata?.name).to.equal(env.namespace);
    }

    it("tunnels through the cluster's proxy-url", async () => {
      const kubeConfig = kubeConfigWith(
        { ...clusterOf(env.kubeConfig), proxyUrl: proxy.url },
        { name: 'u', token: tokenOf(env.kubeConfig) },
      );
      await getNamespace({ kubeConfig });
      expect(proxy.targets).to.not.be.empty;
      expect(new Set(proxy.targets)).to.deep.equal(new Set([target()]));
    });

    it('tunnels through HTTPS_PROXY', async () => {
      await getNamespace({ env: { HTTPS_PROXY: proxy.url } });
      expect(proxy.targets).to.not.be.empty;
      expect(new Set(proxy.targets)).to.deep.equal(new Set([target()]));
    });

    it('connects directly to hosts NO_PROXY names', async () => {
      await getNamespace({ env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' } });
      expect(proxy.targets).to.deep.equal([]);
    });

    it('connects directly without proxy settings', async () => {
      await getNamespace({ env: {} });
      expect(proxy.targets).to.deep.equal([]);
    });
  });
}

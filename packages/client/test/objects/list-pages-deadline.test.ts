import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createClient } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import { kubeConfigWith } from '../support/kube-configs.js';

const discovery = {
  kind: 'APIResourceList',
  resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }],
};

function list(names: readonly string[], next?: string): string {
  return JSON.stringify({
    kind: 'ConfigMapList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '5', ...(next === undefined ? {} : { continue: next }) },
    items: names.map((name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'ns' },
    })),
  });
}

/**
 * A fake API server over HTTP/1.1: the first page sends its head at once and the rest after
 * `restMs`; the second page (continue token "A") answers after `secondMs`.
 */
async function startServer(restMs: number, secondMs: number) {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname === '/api/v1') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(discovery));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    if (url.searchParams.get('continue') === null) {
      const body = list(['a'], 'A');
      const cut = body.indexOf('"items":[') + 9;
      response.write(body.slice(0, cut));
      setTimeout(() => response.end(body.slice(cut)), restMs);
      return;
    }
    setTimeout(() => response.end(list(['b'])), secondMs);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    kubeConfig: kubeConfigWith(
      { name: 'fake', server: `http://127.0.0.1:${String(port)}`, skipTLSVerify: true },
      { name: 'u', token: 'secret' },
    ),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('KubeClient.listPages, pipelined, with one connection per server', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: KubeClient;

  afterEach(async () => {
    await client.close(false);
    await server.close();
  });

  it('does not count the wait for the connection the page before still uses against the deadline of the page ahead', async () => {
    // Each request takes well within timeoutMs (2.5 s and 2 s of 4 s, real time); the page ahead
    // waits 2.5 s for the only connection, which one request after the other would not.
    server = await startServer(2500, 2000);
    client = createClient({ kubeConfig: server.kubeConfig, metrics: null, rateLimit: false, connections: 1 });
    const all = await client.listAll(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' },
      {
        pageSize: 1,
        timeoutMs: 4000,
      },
    );
    expect(all.items.map((item) => item.metadata?.name)).to.deep.equal(['a', 'b']);
  });
});

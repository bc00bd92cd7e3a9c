import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createClient, KubeClientError } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import { kubeConfigWith } from '../support/kube-configs.js';
import { rejectionOf } from '../support/rejection.js';

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
 * `restMs`; the second page (continue token "A") answers after `secondMs`. `undefined`: never.
 */
async function startServer(restMs: number | undefined, secondMs: number | undefined) {
  const closed: Promise<unknown>[] = [];
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
      if (restMs !== undefined) setTimeout(() => response.end(body.slice(cut)), restMs);
      return;
    }
    closed.push(once(response, 'close'));
    if (secondMs !== undefined) setTimeout(() => response.end(list(['b'])), secondMs);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    kubeConfig: kubeConfigWith(
      { name: 'fake', server: `http://127.0.0.1:${String(port)}`, skipTLSVerify: true },
      { name: 'u', token: 'secret' },
    ),
    /** Connections closed of the requests for the second page so far. */
    aheadClosed: () => closed,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Resolves with `promise`, or rejects with `what` after `ms` of real time. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(what));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('KubeClient.listPages, pipelined, on a server that is slow in the middle of a page', () => {
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

  it('aborts the page ahead when the page before fails (its deadline passed in the middle of its answer)', async () => {
    server = await startServer(undefined, undefined);
    client = createClient({ kubeConfig: server.kubeConfig, metrics: null, rateLimit: false });
    const error = await rejectionOf(
      client.listAll(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' },
        { pageSize: 1, timeoutMs: 1000 },
      ),
    );
    expect(KubeClientError.is(error, 'timeout'), String(error)).to.be.true;
    const [ahead, ...more] = server.aheadClosed();
    expect(more).to.deep.equal([]);
    if (ahead === undefined) throw new Error('the page ahead was not asked for');
    // Without an abort, the request ahead (no answer, no deadline of its own yet) stays open.
    await within(ahead, 10_000, 'the request for the page ahead is open');
  });

  it('fails with kind timeout when the page ahead does not arrive within timeoutMs of the page before', async () => {
    server = await startServer(0, undefined);
    client = createClient({ kubeConfig: server.kubeConfig, metrics: null, rateLimit: false });
    const pages: string[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const page of client.listPages(
          { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' },
          {
            pageSize: 1,
            timeoutMs: 1000,
          },
        )) {
          pages.push(...page.items.map((item) => item.metadata?.name ?? ''));
        }
      })(),
    );
    expect(pages).to.deep.equal(['a']);
    expect(KubeClientError.is(error, 'timeout'), String(error)).to.be.true;
  });
});

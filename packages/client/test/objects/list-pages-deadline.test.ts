import { once } from 'node:events';
import { expect } from 'chai';
import { createClient, KubeClientError } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import { configMapList, startFakeListServer, within } from '../support/fake-list-server.js';
import { rejectionOf } from '../support/rejection.js';

const list = (names: readonly string[], next?: string): string => configMapList('5', names, next);

/**
 * A fake API server over HTTP/1.1: the first page sends its head at once and the rest after
 * `restMs`; the second page (continue token "A") answers after `secondMs`. `undefined`: never.
 */
async function startServer(restMs: number | undefined, secondMs: number | undefined) {
  const closed: Promise<unknown>[] = [];
  const fake = await startFakeListServer((url, response) => {
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
  return {
    kubeConfig: fake.kubeConfig,
    /** Connections closed of the requests for the second page so far. */
    aheadClosed: () => closed,
    close: () => fake.close(),
  };
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

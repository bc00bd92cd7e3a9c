import { once } from 'node:events';
import { expect } from 'chai';
import { createClient } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import { configMapList as list, startFakeListServer, within } from '../support/fake-list-server.js';

/**
 * A fake API server whose first answer to the first page breaks off after the List's head, which
 * names continue token "A" (the client then sends the first page again, as for any GET whose
 * connection broke); the answer sent again is `second`. A request for token "A" gets no answer.
 */
async function startServer(second: string, pages: Readonly<Record<string, string>>) {
  let firstPages = 0;
  const ahead: Promise<unknown>[] = [];
  let aheadArrived: () => void = () => undefined;
  const aheadSent = new Promise<void>((resolve) => {
    aheadArrived = resolve;
  });
  const fake = await startFakeListServer((url, response) => {
    const token = url.searchParams.get('continue');
    response.writeHead(200, { 'content-type': 'application/json' });
    if (token === null && ++firstPages === 1) {
      // The head with its continue token, then the connection breaks once the page ahead is asked for.
      const body = list('5', ['a'], 'A');
      response.write(body.slice(0, body.indexOf('"items":[') + 9));
      void aheadSent.then(() => response.destroy());
      return;
    }
    if (token === null) {
      response.end(second);
      return;
    }
    if (token === 'A') {
      ahead.push(once(response, 'close'));
      aheadArrived();
      return;
    }
    response.end(pages[token] ?? list('6', []));
  });
  return {
    kubeConfig: fake.kubeConfig,
    /** Resolves once the request for token "A" has arrived and its connection has closed. */
    aheadClosed: async () => {
      await aheadSent;
      const [closed] = ahead;
      if (closed === undefined) throw new Error('no request for token A');
      await closed;
    },
    firstPages: () => firstPages,
    close: () => fake.close(),
  };
}

describe('KubeClient.listPages, pipelined, when a page is sent again after its head arrived', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: KubeClient;
  const kind = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' };

  afterEach(async () => {
    await client.close(false);
    await server.close();
  });

  it('follows the continue token of the answer it yields, not the one of the broken answer', async () => {
    server = await startServer(list('6', ['a'], 'B'), { B: list('6', ['b']) });
    client = createClient({ kubeConfig: server.kubeConfig, metrics: null, rateLimit: false });
    const seen: string[] = [];
    for await (const page of client.listPages(kind, { pageSize: 1 })) {
      seen.push(...page.items.map((item) => item.metadata?.name ?? ''));
    }
    expect(seen).to.deep.equal(['a', 'b']);
    expect(server.firstPages()).to.equal(2);
    await within(server.aheadClosed(), 10_000, 'the request for token A is open');
  });

  it('aborts the request ahead at once when the answer it yields is the last page', async () => {
    server = await startServer(list('6', ['a']), {});
    client = createClient({ kubeConfig: server.kubeConfig, metrics: null, rateLimit: false });
    const pages = client.listPages(kind, { pageSize: 1 })[Symbol.asyncIterator]();
    const first = await pages.next();
    if (first.done === true) throw new Error('no page');
    expect(first.value.items.map((item) => item.metadata?.name)).to.deep.equal(['a']);
    // The consumer still holds the last page: nothing it will read is being asked for.
    await within(server.aheadClosed(), 10_000, 'the request for token A is open while the last page is held');
    expect((await pages.next()).done).to.equal(true);
  });
});

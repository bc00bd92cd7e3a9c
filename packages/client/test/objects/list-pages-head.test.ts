import { expect } from 'chai';
import { createClient } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import { startFakeListServer } from '../support/fake-list-server.js';

/**
 * Three pages of one ConfigMap each, as JSON text whose `metadata` comes after `items` (keys in
 * alphabetical order, as Go writes a map); each object also has an `items` array of its own.
 */
function page(token: string | null): string {
  const index = token === null ? 0 : Number(token);
  const item = `{"apiVersion":"v1","data":{"x":"1","items":["y"]},"kind":"ConfigMap","metadata":{"name":"cm-${String(index)}","namespace":"ns"}}`;
  const next = index < 2 ? `,"continue":"${String(index + 1)}"` : '';
  // The first page starts with apiVersion; the others with items (their first `,"items":[` is an object's).
  const head = index === 0 ? '{"apiVersion":"v1",' : '{';
  return `${head}"items":[${item}],"kind":"ConfigMapList","metadata":{"resourceVersion":"7"${next}}}`;
}

describe('KubeClient.listPages, pipelined, on answers whose metadata comes after their items', () => {
  let server: Awaited<ReturnType<typeof startFakeListServer>>;
  let client: KubeClient;
  const tokens: (string | null)[] = [];

  beforeEach(async () => {
    tokens.length = 0;
    server = await startFakeListServer((url, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const token = url.searchParams.get('continue');
      tokens.push(token);
      response.end(page(token));
    });
    client = createClient({ kubeConfig: server.kubeConfig, metrics: null, rateLimit: false });
  });
  afterEach(async () => {
    await client.close(false);
    await server.close();
  });

  it('asks for each page after the whole page before, with its continue token, each object once', async () => {
    const seen: string[] = [];
    for await (const list of client.listPages(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' },
      { pageSize: 1 },
    )) {
      seen.push(...list.items.map((item) => item.metadata?.name ?? ''));
    }
    expect(seen).to.deep.equal(['cm-0', 'cm-1', 'cm-2']);
    expect(tokens).to.deep.equal([null, '1', '2']);
  });
});

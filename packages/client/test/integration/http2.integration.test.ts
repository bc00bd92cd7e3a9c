import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { expect } from 'chai';
import { createClient, KubeClientError } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import { selfSigned } from '../support/certificates.js';
import { kubeConfigWith, tempDir } from '../support/kube-configs.js';
import { rejectionOf } from '../support/rejection.js';
import { VirtualClock } from '../support/virtual-clock.js';

/**
 * A small HTTP/2 (and HTTP/1.1) API server: discovery of v1 ConfigMaps, GET of any ConfigMap, and a
 * watch that sends one ADDED event and stays open. It records each request's HTTP version, and
 * counts TLS sessions.
 */
async function startServer(settings: http2.Settings = {}): Promise<{
  url: string;
  ca: string;
  versions: string[];
  /** The common name of the client certificate of each request ('' without one). */
  clientNames: string[];
  sessions: () => number;
  /** TLS connections closed so far. */
  closedSessions: () => number;
  close: () => Promise<void>;
}> {
  const { cert, key } = await selfSigned('h2-test');
  const versions: string[] = [];
  const clientNames: string[] = [];
  let sessions = 0;
  let closedSessions = 0;
  const streams = new Set<http2.Http2ServerResponse>();
  const options = { cert, key, allowHTTP1: true, requestCert: true, rejectUnauthorized: false, settings };
  const server = http2.createSecureServer(options, (request, response) => {
    versions.push(request.httpVersion);
    // Without a client certificate, Node answers `{}`.
    const peer: { subject?: { CN?: unknown } } = (request.socket as TLSSocket).getPeerCertificate();
    const name = peer.subject?.CN;
    clientNames.push(typeof name === 'string' ? name : '');
    const url = new URL(request.url, 'https://x');
    response.setHeader('content-type', 'application/json');
    if (url.pathname === '/api/v1') {
      response.end(
        JSON.stringify({
          kind: 'APIResourceList',
          resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }],
        }),
      );
    } else if (url.searchParams.get('watch') === 'true') {
      streams.add(response);
      response.write(
        `${JSON.stringify({ type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name: 'w' } } })}\n`,
      );
    } else {
      const name = url.pathname.split('/').pop();
      response.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }));
    }
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    sessions += 1;
    socket.on('close', () => {
      closedSessions += 1;
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca: cert,
    versions,
    clientNames,
    sessions: () => sessions,
    closedSessions: () => closedSessions,
    close: async () => {
      for (const stream of streams) stream.end();
      const closed = new Promise((resolve) => server.close(resolve));
      await closed;
    },
  };
}

describe('Transport over HTTP/2 (integration)', function () {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: KubeClient | undefined;

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await client?.close(false);
    client = undefined;
    await server.close();
  });

  function clientFor(allowH2: boolean): KubeClient {
    const kubeConfig = kubeConfigWith(
      {
        name: 'h2',
        server: server.url,
        caData: Buffer.from(server.ca).toString('base64'),
        skipTLSVerify: false,
      },
      { name: 'u', token: 't' },
    );
    client = createClient({ kubeConfig, allowH2, metrics: null, rateLimit: false });
    return client;
  }

  const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name });

  it('speaks HTTP/2 when the server offers it by ALPN, a watch and requests multiplexed on one connection', async () => {
    const c = clientFor(true);
    const events = c.watch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' })[Symbol.asyncIterator]();
    expect((await events.next()).value?.object.metadata?.name).to.equal('w');
    const names = await Promise.all(
      ['a', 'b', 'c', 'd'].map(async (n) => (await c.get(ref(n))).metadata?.name),
    );
    expect(names).to.deep.equal(['a', 'b', 'c', 'd']);
    await events.return();
    expect(
      server.versions.every((v) => v === '2.0'),
      server.versions.join(),
    ).to.be.true;
    expect(server.versions).to.have.length(6);
    expect(server.sessions()).to.equal(1);
  });

  it("opens one more connection only beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS, and starts every watch of a burst", async () => {
    await server.close();
    server = await startServer({ maxConcurrentStreams: 3 });
    const c = clientFor(true);
    const opened: AsyncIterator<unknown>[] = [];
    const firstNames = async (count: number) => {
      const iterators = Array.from({ length: count }, () => {
        const watch = c.watch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' });
        return watch[Symbol.asyncIterator]();
      });
      opened.push(...iterators);
      return Promise.all(iterators.map(async (events) => (await events.next()).value?.object.metadata?.name));
    };
    try {
      // The discovery request first, then three watches: the server's limit, on one connection.
      expect(await firstNames(3)).to.deep.equal(['w', 'w', 'w']);
      expect(server.sessions()).to.equal(1);
      // Seven more: the first connection is full, so they take ceil(7 / 3) connections more.
      expect(await firstNames(7)).to.deep.equal(Array.from({ length: 7 }, () => 'w'));
      expect(server.sessions()).to.equal(4);
      expect(server.versions.every((v) => v === '2.0')).to.be.true;
    } finally {
      // Stops the watches (and their inactivity timers).
      await Promise.all(
        opened.map(async (events) => {
          await events.return?.();
        }),
      );
    }
  });

  it('speaks keep-alive HTTP/1.1 when HTTP/2 is turned off', async () => {
    const c = clientFor(false);
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) await c.get(ref(n));
    expect(server.versions).to.deep.equal(['1.1', '1.1', '1.1', '1.1', '1.1', '1.1', '1.1']);
    // Keep-alive: undici's pool takes a second connection while the first is being released after
    // an answer, then alternates between the two.
    expect(server.sessions()).to.be.within(1, 2);
  });

  it('aborts one watch stream without closing the shared connection', async () => {
    const c = clientFor(true);
    const stop = new AbortController();
    const watch = c.watch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' }, { signal: stop.signal });
    const events = watch[Symbol.asyncIterator]();
    await events.next();
    const pending = rejectionOf(events.next());
    stop.abort();
    expect(KubeClientError.is(await pending, 'aborted')).to.be.true;
    expect((await c.get(ref('after'))).metadata?.name).to.equal('after');
    expect(server.sessions()).to.equal(1);
    expect(server.closedSessions()).to.equal(0);
  });

  it('presents a rotated client certificate on a new connection, and closes the old one once its watch ends', async () => {
    const dir = tempDir();
    try {
      const [first, second] = [await selfSigned('client-1'), await selfSigned('client-2')];
      writeFileSync(dir.file('tls.crt'), first.cert);
      writeFileSync(dir.file('tls.key'), first.key);
      const kubeConfig = kubeConfigWith(
        {
          name: 'h2',
          server: server.url,
          caData: Buffer.from(server.ca).toString('base64'),
          skipTLSVerify: false,
        },
        { name: 'u', certFile: dir.file('tls.crt'), keyFile: dir.file('tls.key') },
      );
      const clock = new VirtualClock();
      client = createClient({ kubeConfig, metrics: null, rateLimit: false, clock });
      const watch = client.watch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' });
      const events = watch[Symbol.asyncIterator]();
      await events.next();
      writeFileSync(dir.file('tls.crt'), second.cert);
      writeFileSync(dir.file('tls.key'), second.key);
      clock.advance(1000);
      await client.get(ref('a'));
      expect(server.clientNames).to.deep.equal(['client-1', 'client-1', 'client-2']);
      expect(server.sessions()).to.equal(2);
      expect(server.closedSessions()).to.equal(0); // the old connection still carries the watch
      await events.return();
      for (let i = 0; i < 250 && server.closedSessions() === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(server.closedSessions()).to.equal(1);
      expect(client.transport.connections).to.deep.equal({ dispatchers: 1, retiring: 0 });
    } finally {
      dir.remove();
    }
  });
});

import { once } from 'node:events';
import http2 from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { expect } from 'chai';
import { startEnvtest } from '@kubekit/envtest';
import type { Envtest } from '@kubekit/envtest';
import { useEnvtest } from '@kubekit/envtest/testing';
import { credentials, eventually, raw } from './support/raw-client.js';

/** The protocol a TLS client offering `h2` and `http/1.1` gets by ALPN. */
async function negotiated(env: Envtest): Promise<string | false> {
  const { ca } = credentials(env);
  const url = new URL(env.url);
  const socket = tlsConnect({
    host: url.hostname,
    port: Number(url.port),
    ...(ca === undefined ? {} : { ca }),
    ALPNProtocols: ['h2', 'http/1.1'],
  });
  await once(socket, 'secureConnect');
  const protocol = socket.alpnProtocol;
  socket.destroy();
  return protocol ?? false;
}

/** An HTTP/2 session to the server, authenticated as the admin. */
function h2Session(env: Envtest): { session: ClientHttp2Session; token: string } {
  const { ca, token } = credentials(env);
  const session = http2.connect(env.url, ca === undefined ? {} : { ca });
  session.on('error', () => undefined);
  return { session, token };
}

/** One HTTP/2 request: status and body text. */
async function h2Get(
  session: ClientHttp2Session,
  token: string,
  path: string,
): Promise<{ status: number; text: string }> {
  const stream = session.request({ ':path': path, authorization: `Bearer ${token}` });
  const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
  stream.setEncoding('utf8');
  let text = '';
  for await (const chunk of stream) text += chunk as string;
  return { status: Number(headers[':status']), text };
}

/**
 * A watch on one HTTP/2 stream: its lines as they arrive, and how the stream ended: `end` when the
 * server ended it, `error` when it was reset or its session was cut.
 */
function h2Watch(
  session: ClientHttp2Session,
  token: string,
  path: string,
): {
  lines: string[];
  partial: () => string;
  ended: Promise<'end' | 'error'>;
  stream: http2.ClientHttp2Stream;
} {
  const stream = session.request({ ':path': path, authorization: `Bearer ${token}` });
  const lines: string[] = [];
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      lines.push(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  });
  const ended = new Promise<'end' | 'error'>((resolve) => {
    stream.on('error', () => undefined);
    // A stream cut with its session closes with NO_ERROR too: the session tells them apart.
    stream.on('close', () => {
      resolve(stream.rstCode === http2.constants.NGHTTP2_NO_ERROR && !session.destroyed ? 'end' : 'error');
    });
  });
  return { lines, partial: () => pending, ended, stream };
}

describe('envtest over HTTP/2', () => {
  const env = useEnvtest();
  const path = (): string => `/api/v1/namespaces/${env.namespace}/configmaps`;
  const sessions: ClientHttp2Session[] = [];
  const session = (): { session: ClientHttp2Session; token: string } => {
    const opened = h2Session(env);
    sessions.push(opened.session);
    return opened;
  };
  afterEach(() => {
    for (const s of sessions.splice(0)) s.destroy();
  });

  it('offers h2 by ALPN, and serves HTTP/1.1 on the same port', async () => {
    expect(env.protocols).to.deep.equal(['h2', 'http/1.1']);
    expect(await negotiated(env)).to.equal('h2');
    const before = env.connectionStats().requests;
    const { session: s, token } = session();
    expect((await h2Get(s, token, path())).status).to.equal(200);
    expect((await raw(env, 'GET', path())).status).to.equal(200);
    const after = env.connectionStats().requests;
    expect(after.h2 - before.h2).to.equal(1);
    expect(after['http/1.1'] - before['http/1.1']).to.equal(1);
  });

  it('streams a watch on an HTTP/2 stream and multiplexes it with requests on one connection', async () => {
    const accepted = env.connectionStats().accepted;
    const { session: s, token } = session();
    const watch = h2Watch(s, token, `${path()}?watch=true`);
    await eventually(() => env.connectionStats().watches === 1);
    const created = await raw(env, 'POST', path(), { body: { metadata: { name: 'a' } } });
    expect(created.status).to.equal(201);
    await eventually(() => watch.lines.length === 1);
    expect(JSON.parse(watch.lines[0] ?? '')).to.include({ type: 'ADDED' });
    for (let i = 0; i < 5; i++) expect((await h2Get(s, token, `${path()}/a`)).status).to.equal(200);
    // One connection for the h2 session, one for the HTTP/1.1 POST.
    expect(env.connectionStats().accepted - accepted).to.equal(2);
  });

  it('sends a list of several parts whole, with its Content-Length, on both protocols', async () => {
    // 12 ConfigMaps of 50 KB with a multi-byte character: about 600 KB, three parts of 256 KiB.
    const value = `${'é'.repeat(10)}${'x'.repeat(50_000)}`;
    for (let i = 0; i < 12; i++) {
      const body = { metadata: { name: `big-${String(i).padStart(2, '0')}` }, data: { value } };
      expect((await raw(env, 'POST', path(), { body })).status).to.equal(201);
    }
    const { session: s, token } = session();
    const stream = s.request({ ':path': path(), authorization: `Bearer ${token}` });
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(Number(headers['content-length'])).to.equal(bytes.length);
    const list = JSON.parse(bytes.toString('utf8')) as { items: { data: { value: string } }[] };
    expect(list.items).to.have.length(12);
    for (const item of list.items) expect(item.data.value).to.equal(value);

    const overHttp1 = await raw(env, 'GET', path());
    expect(overHttp1.text).to.equal(bytes.toString('utf8'));
    expect(Number(overHttp1.headers['content-length'])).to.equal(bytes.length);
  });

  it('releases the server-side watch when the client cancels its stream', async () => {
    const { session: s, token } = session();
    const watch = h2Watch(s, token, `${path()}?watch=true`);
    await eventually(() => env.connectionStats().watches === 1);
    watch.stream.close(http2.constants.NGHTTP2_CANCEL);
    await eventually(() => env.connectionStats().watches === 0);
    expect(s.closed).to.be.false; // the session outlives its stream
    expect((await h2Get(s, token, path())).status).to.equal(200);
  });

  it('ends watch streams cleanly on dropWatches, and writes corrupt lines on corruptWatches', async () => {
    const { session: s, token } = session();
    const watch = h2Watch(s, token, `${path()}?watch=true`);
    await eventually(() => env.connectionStats().watches === 1);
    expect(env.faults.corruptWatches({ resource: 'configmaps' })).to.equal(1);
    await eventually(() => watch.lines.length === 1);
    expect(watch.lines[0]).to.equal('{"type":"MODIFIED","object":{"metadata":');
    expect(env.faults.dropWatches({ resource: 'configmaps' })).to.equal(1);
    expect(await watch.ended).to.equal('end');
  });

  it('cuts the whole session after half of the next event on cutWatchesMidEvent', async () => {
    const { session: s, token } = session();
    const watch = h2Watch(s, token, `${path()}?watch=true`);
    await eventually(() => env.connectionStats().watches === 1);
    expect(env.faults.cutWatchesMidEvent({ resource: 'configmaps' })).to.equal(1);
    const closed = once(s, 'close');
    await raw(env, 'POST', path(), { body: { metadata: { name: 'a' }, data: { text: 'x'.repeat(200) } } });
    await closed;
    expect(await watch.ended).to.equal('error');
    expect(watch.lines).to.deep.equal([]);
    expect(watch.partial()).to.match(/^\{"type":"ADDED","object":\{/);
    expect(watch.partial()).to.not.include('\n');
  });

  it('stalls watch streams: nothing more arrives while the session stays usable', async () => {
    const { session: s, token } = session();
    const watch = h2Watch(s, token, `${path()}?watch=true`);
    await eventually(() => env.connectionStats().watches === 1);
    expect(env.faults.stallWatches({ resource: 'configmaps' })).to.equal(1);
    await raw(env, 'POST', path(), { body: { metadata: { name: 'b' } } });
    expect((await h2Get(s, token, `${path()}/b`)).status).to.equal(200);
    expect(watch.lines).to.deep.equal([]);
  });

  it('cuts the whole session on a partition: every stream on it fails', async () => {
    const { session: s, token } = session();
    const first = h2Watch(s, token, `${path()}?watch=true`);
    const second = h2Watch(s, token, '/api/v1/namespaces/default/configmaps?watch=true');
    await eventually(() => env.connectionStats().watches === 2);
    const closed = once(s, 'close');
    // The fault matches the first watch only; the second goes down with their shared session.
    env.faults.add({ resource: 'configmaps', namespace: env.namespace, partition: true });
    await closed;
    await Promise.all([first.ended, second.ended]);
    expect(s.destroyed).to.be.true;
    await eventually(() => env.connectionStats().watches === 0);
  });

  it('resets only the hung stream when its hang fault is removed', async () => {
    const { session: s, token } = session();
    const fault = env.faults.add({ resource: 'configmaps', verb: 'get', hang: true });
    const hung = h2Watch(s, token, `${path()}/nope`);
    await eventually(() => env.counters.count({ verb: 'get', resource: 'configmaps' }) === 1);
    fault.remove();
    expect(await hung.ended).to.equal('error');
    expect(hung.stream.rstCode).to.equal(http2.constants.NGHTTP2_CANCEL);
    expect((await h2Get(s, token, path())).status).to.equal(200);
  });

  it('answers fault errors with their Status on the stream', async () => {
    const { session: s, token } = session();
    env.faults.add({ resource: 'configmaps', error: { code: 429, retryAfterSeconds: 2 }, times: 1 });
    const answer = await h2Get(s, token, path());
    expect(answer.status).to.equal(429);
    expect(JSON.parse(answer.text)).to.include({ reason: 'TooManyRequests', code: 429 });
  });
});

describe('envtest over HTTP/2: stop()', () => {
  it('cuts open HTTP/2 sessions, their watches and hung streams, and resolves', async () => {
    const env = await startEnvtest();
    const { session, token } = h2Session(env);
    const watch = h2Watch(session, token, '/api/v1/namespaces/default/configmaps?watch=true');
    env.faults.add({ verb: 'get', resource: 'configmaps', hang: true });
    const hung = h2Watch(session, token, '/api/v1/namespaces/default/configmaps/x');
    await eventually(() => env.connectionStats().watches === 1);
    await eventually(() => env.counters.count({ verb: 'get' }) === 1);
    // 'close', not `once` (which rejects on 'error'): the cut may reach the client as a reset.
    const closed = new Promise<void>((resolve) => {
      session.once('close', () => {
        resolve();
      });
    });
    await env.stop();
    await closed;
    expect(await watch.ended).to.equal('error');
    expect(await hung.ended).to.equal('error');
  });
});

describe('envtest with http2: false', () => {
  let env: Envtest;
  before(async () => {
    env = await startEnvtest({ http2: false });
  });
  after(async () => {
    await env.stop();
  });

  it('offers only http/1.1 by ALPN and serves every request on it', async () => {
    expect(env.protocols).to.deep.equal(['http/1.1']);
    expect(await negotiated(env)).to.equal('http/1.1');
    expect((await raw(env, 'GET', '/api/v1/namespaces')).status).to.equal(200);
    expect(env.connectionStats().requests).to.deep.equal({ h2: 0, 'http/1.1': 1 });
    const served = await raw(env, 'GET', '/_envtest/connections');
    expect(served.json).to.deep.include({ watches: 0, requests: { h2: 0, 'http/1.1': 2 } });
  });

  it('refuses an HTTP/2-only client', async () => {
    const { session } = h2Session(env);
    const failure = await new Promise<unknown>((resolve) => {
      session.once('error', resolve);
      session.once('connect', () => {
        resolve(undefined);
      });
    });
    session.destroy();
    expect(failure).to.be.instanceOf(Error);
  });
});

// Run as a child process by http2-abort-guard.test.ts: an HTTP/2 server whose flow-control window
// is closed, a Transport request with a body that times out while its body waits for the window,
// then the window opens. Prints `alive` once the event loop has run on and a further request
// succeeded; a process whose HTTP/2 session spins never prints it (its parent kills it).
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { KubeClientError, Transport } from '@kubekit/client';
import { selfSigned } from './certificates.js';
import { kubeConfigWith } from './kube-configs.js';

const { cert, key } = await selfSigned('stalled-h2');
const sessions: http2.ServerHttp2Session[] = [];
// A stream window of 0: the client may send HEADERS but no byte of a body.
const server = http2.createSecureServer(
  { cert, key, settings: { initialWindowSize: 0 } },
  (request, response) => {
    request.resume();
    request.on('end', () => {
      response.setHeader('content-type', 'application/json');
      response.end('{}');
    });
  },
);
server.on('session', (session) => sessions.push(session));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
const transport = new Transport({
  kubeConfig: kubeConfigWith(
    {
      name: 'c',
      server: `https://127.0.0.1:${port}`,
      caData: Buffer.from(cert).toString('base64'),
      skipTLSVerify: false,
    },
    { name: 'u', token: 't' },
  ),
  rateLimit: false,
  metrics: null,
  maxRetries: 0,
});
const path = '/api/v1/namespaces/default/configmaps/x';
await transport.send({ method: 'GET', path }); // the session and its SETTINGS
const failure = await transport
  .send({ method: 'PUT', path, body: JSON.stringify({ data: { k: 'v'.repeat(300) } }), timeoutMs: 200 })
  .then(
    () => undefined,
    (error: unknown) => error,
  );
if (!KubeClientError.is(failure, 'timeout'))
  throw new Error(`the PUT should time out, not ${String(failure)}`);
// The server opens its window: the body of the abandoned stream may now be sent.
for (const session of sessions) session.settings({ initialWindowSize: 65_535 });
await new Promise((resolve) => setTimeout(resolve, 300));
const answer = await transport.send({ method: 'GET', path, timeoutMs: 5000 });
if (answer.status !== 200) throw new Error(`the GET after the window opened answered ${answer.status}`);
console.log('alive');
await transport.close(false);
server.close();
for (const session of sessions) session.destroy();

import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigWith } from './kube-configs.js';

/** One request the server saw. */
export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** What the server answers: status, body (JSON-encoded unless a string), headers. */
export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const discovery = {
  kind: 'APIResourceList',
  resources: [
    { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
    { name: 'widgets', kind: 'Widget', namespaced: false },
    { name: 'widgets/status', kind: 'Widget', namespaced: false },
  ],
};

/**
 * A plain-HTTP fake API server for unit tests of what the client sends: it serves discovery of
 * v1 (ConfigMap, namespaced; Widget, cluster-scoped) and answers every other request with
 * `answer(request)`. Every request is recorded, discovery excepted.
 */
export async function startRecordingServer(answer: (request: Recorded) => Answer): Promise<{
  readonly kubeConfig: KubeConfig;
  readonly requests: Recorded[];
  close(): Promise<void>;
}> {
  const requests: Recorded[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/api/v1') {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(discovery));
        return;
      }
      const recorded: Recorded = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const { status, body, headers } = answer(recorded);
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(typeof body === 'string' ? body : JSON.stringify(body ?? {}));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    kubeConfig: kubeConfigWith(
      { name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true },
      { name: 'u', token: 'secret' },
    ),
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigWith } from './kube-configs.js';

/**
 * A fake API server over plain HTTP/1.1 for the paging tests that need what envtest cannot do (cut
 * an answer off after its head, slow it down halfway): it answers discovery of core/v1 ConfigMaps
 * itself and every other request with `handle`.
 */
export async function startFakeListServer(
  handle: (url: URL, response: http.ServerResponse) => void,
): Promise<{ readonly kubeConfig: KubeConfig; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname === '/api/v1') {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          kind: 'APIResourceList',
          resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }],
        }),
      );
      return;
    }
    handle(url, response);
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

/** A ConfigMapList of `names` in namespace `ns` as JSON text (metadata first, as kube-apiserver writes it). */
export function configMapList(resourceVersion: string, names: readonly string[], next?: string): string {
  return JSON.stringify({
    kind: 'ConfigMapList',
    apiVersion: 'v1',
    metadata: { resourceVersion, ...(next === undefined ? {} : { continue: next }) },
    items: names.map((name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'ns' },
    })),
  });
}

/** Resolves with `promise`, or rejects with `what` after `ms` of real time. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
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

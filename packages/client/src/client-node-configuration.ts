import {
  createConfiguration,
  ResponseContext,
  SelfDecodingBody,
  ServerConfiguration,
  wrapHttpLibrary,
} from '@kubernetes/client-node';
import type {
  Configuration,
  HttpMethod as ClientNodeMethod,
  RequestBody,
  RequestContext,
} from '@kubernetes/client-node';
import { KubeClientError } from './kube-client-error.js';
import type { KubeClient } from './objects/kube-client.js';
import type { HttpMethod, Transport } from './transport/transport.js';

/** A request body as text: client-node's generated APIs send JSON strings (and never forms). */
function textOf(body: RequestBody): string | undefined {
  if (body === undefined || typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  throw new KubeClientError(
    'invalidArgument',
    'client-node asked to send a form, which the transport does not send',
  );
}

const methods = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * A client-node `Configuration` whose requests go through `client`'s transport (its connections,
 * HTTP/2, authentication cache, rate limit, retries and metrics) instead of client-node's own
 * fetch, which opens a new connection per request. Use it with client-node's generated APIs:
 *
 * ```ts
 * const core = new CoreV1Api(clientNodeConfiguration(client));
 * ```
 *
 * The generated APIs keep their behaviour: they convert objects into their model classes and
 * throw `ApiException` for non-2xx answers. A request that gets no answer rejects with a
 * `KubeClientError` (kind `network`, `timeout`, `aborted`, `auth`…).
 */
export function clientNodeConfiguration(client: KubeClient | Transport): Configuration {
  const transport = 'transport' in client ? client.transport : client;
  const cluster = transport.kubeConfig.getCurrentCluster();
  if (cluster === null) {
    throw new KubeClientError(
      'invalidArgument',
      'the kubeconfig has no current cluster (set a current context)',
    );
  }
  const base = new URL(cluster.server);
  const basePath = base.pathname.replace(/\/+$/, '');
  return createConfiguration({
    baseServer: new ServerConfiguration<Record<string, string>>(cluster.server.replace(/\/+$/, ''), {}),
    authMethods: {},
    httpApi: wrapHttpLibrary({
      send: async (context: RequestContext): Promise<ResponseContext> => {
        const url = new URL(context.getUrl());
        const method: ClientNodeMethod = context.getHttpMethod();
        if (!methods.has(method)) {
          throw new KubeClientError(
            'invalidArgument',
            `client-node asked for an unsupported method ${method}`,
          );
        }
        const headers = context.getHeaders();
        const body = context.getBody();
        const path = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname;
        const contentType = headers['Content-Type'];
        const accept = headers['Accept'];
        const response = await transport.send({
          method: method as HttpMethod,
          path: path + url.search,
          body: textOf(body),
          ...(contentType === undefined ? {} : { contentType }),
          ...(accept === undefined ? {} : { accept }),
          signal: context.getSignal(),
        });
        const responseHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        return new ResponseContext(
          response.status,
          responseHeaders,
          new SelfDecodingBody(Promise.resolve(Buffer.from(response.text, 'utf8'))),
        );
      },
    }),
  });
}

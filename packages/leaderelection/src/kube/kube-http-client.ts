import * as http from 'node:http';
import * as https from 'node:https';
import { ApiException } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';

/** The methods the locks use. */
export type KubeHttpMethod = 'GET' | 'POST' | 'PUT';

/** Watch callbacks, as client-node's `Watch.watch` takes them. */
export type WatchCallback = (type: string, object: unknown, event: unknown) => void;
export type WatchDone = (error: unknown) => void;

/** How long a watch may go without data (or without an answer) before it ends; as client-node 2.0.1. */
const watchInactivityMs = 30_000;
/** Idle keep-alive connections close after this long. */
const idleSocketMs = 30_000;
/** Concurrent requests per cluster and user; watches have their own unbounded pool. */
const maxRequestSockets = 64;
const userAgent = 'kubekit-leaderelection';

/** TLS material and connection pools for one cluster and user. */
interface Endpoint {
  /** The TLS options the pools were built with; when authentication yields others, new pools are built. */
  readonly tls: Readonly<https.AgentOptions>;
  readonly secure: boolean;
  readonly hostname: string;
  readonly port: string;
  /** The server URL's path (without a trailing slash), prefixed to every request path. */
  readonly basePath: string;
  readonly requests: http.Agent;
  readonly watches: http.Agent;
}

/** What one request needs, resolved afresh each time (tokens rotate). */
interface Prepared {
  readonly endpoint: Endpoint;
  readonly headers: Record<string, string>;
  readonly auth: string | undefined;
}

const tlsFields = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
] as const satisfies readonly (keyof https.AgentOptions)[];

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return false;
}

function sameTls(a: Readonly<https.AgentOptions>, b: Readonly<https.AgentOptions>): boolean {
  return tlsFields.every((field) => sameValue(a[field], b[field]));
}

function headersOf(response: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function apiException(response: http.IncomingMessage, body: string): ApiException<string> {
  const code = response.statusCode ?? 500;
  return new ApiException<string>(
    code,
    response.statusMessage ?? http.STATUS_CODES[code] ?? 'error',
    body,
    headersOf(response),
  );
}

function isConnectionReset(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ECONNRESET';
}

const clients = new WeakMap<KubeConfig, KubeHttpClient>();

/**
 * A lean HTTP client for the lock objects' hot path (one conditional PUT per elector per
 * retryPeriod, one watch per elector): node:https with keep-alive connections pooled per cluster
 * and user, JSON bodies, no generated API layer. client-node still does what it is good at:
 * each request is authenticated with `kubeConfig.applyToHTTPSOptions` (bearer tokens, token files,
 * exec and auth-provider plugins, basic auth, impersonation), so rotating credentials keep
 * working; TLS material is kept with the connection pools and new pools are built when it changes
 * (e.g. an exec plugin's rotated client certificate). Through a proxy (`proxyUrl`) it uses
 * client-node's proxy agent. Failures are what client-node's generated API throws: an HTTP error
 * is an `ApiException(code, message, body, headers)` whose body is the server's Status as a
 * string; a network failure is the socket's error; an aborted request rejects with an
 * `AbortError` once its signal aborts.
 *
 * Use {@link KubeHttpClient.for}: one client per KubeConfig, so all locks built from the same
 * KubeConfig share connections.
 */
export class KubeHttpClient {
  private readonly endpoints = new Map<string, Endpoint>();

  private constructor(private readonly kubeConfig: KubeConfig) {}

  /** The client of `kubeConfig` (the same one for the same object). */
  static for(kubeConfig: KubeConfig): KubeHttpClient {
    let client = clients.get(kubeConfig);
    if (client === undefined) {
      client = new KubeHttpClient(kubeConfig);
      clients.set(kubeConfig, client);
    }
    return client;
  }

  /**
   * Sends one request with a JSON body (if any) and resolves with the parsed JSON answer of a 2xx
   * response. Rejects with `ApiException` for any other status, with the socket's error when the
   * connection fails (a request that found its reused keep-alive connection closed by the server
   * is sent once more on a new one), and with an `AbortError` when `signal` aborts.
   * @param path the request path with its query, e.g. `/apis/coordination.k8s.io/v1/namespaces/ns/leases/x`.
   */
  async request(method: KubeHttpMethod, path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    const prepared = await this.prepare();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    try {
      return await this.send(prepared, method, path, payload, signal);
    } catch (error: unknown) {
      // A keep-alive connection the server closed as we reused it: the request never got an answer.
      if (!isConnectionReset(error) || !(error as { reusedSocket?: boolean }).reusedSocket) throw error;
      return await this.send(prepared, method, path, payload, signal);
    }
  }

  /**
   * Watches `path` with `watch=true` and `query`, with the contract of client-node 2.0.1's
   * `Watch.watch`: resolves with a controller (abort it to stop) once the server answered 200 or
   * the watch failed; `callback` gets each newline-delimited event (unparseable lines are
   * skipped); `done` is called exactly once: `null` when the server ends the stream, a
   * `TimeoutError` `DOMException` after 30 s without data (or without an answer), an
   * `ApiException` for a non-200 answer, the connection's error when it breaks.
   */
  async watch(
    path: string,
    query: Readonly<Record<string, string | boolean | number | undefined>>,
    callback: WatchCallback,
    done: WatchDone,
  ): Promise<AbortController> {
    const controller = new AbortController();
    let search = 'watch=true';
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) search += `&${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
    }
    let prepared: Prepared;
    try {
      prepared = await this.prepare();
    } catch (error: unknown) {
      done(error);
      return controller;
    }
    return new Promise<AbortController>((resolve) => {
      let finished = false;
      let timedOut = false;
      const request = this.open(
        prepared,
        'GET',
        `${path}?${search}`,
        undefined,
        undefined,
        prepared.endpoint.watches,
      );
      const finish = (error: unknown): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        controller.signal.removeEventListener('abort', onAbort);
        // A stream the server ended leaves its connection to the pool; any other end closes it.
        if (error !== null) request.destroy();
        resolve(controller);
        done(timedOut ? new DOMException('The operation was aborted due to timeout', 'TimeoutError') : error);
      };
      const onAbort = (): void => {
        finish(controller.signal.reason);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        finish(undefined);
      }, watchInactivityMs);
      timer.unref();
      controller.signal.addEventListener('abort', onAbort, { once: true });
      request.on('error', finish);
      request.on('response', (response) => {
        response.setEncoding('utf8');
        let text = '';
        if (response.statusCode !== 200) {
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => {
            finish(apiException(response, text));
          });
          response.on('error', finish);
          return;
        }
        timer.refresh();
        resolve(controller);
        response.on('data', (chunk: string) => {
          timer.refresh();
          text += chunk;
          let newline = text.indexOf('\n');
          while (newline >= 0 && !finished) {
            const line = text.slice(0, newline);
            text = text.slice(newline + 1);
            newline = text.indexOf('\n');
            let event: { type?: unknown; object?: unknown };
            try {
              event = JSON.parse(line) as { type?: unknown; object?: unknown };
            } catch {
              continue;
            }
            callback(String(event.type), event.object, event);
          }
        });
        response.on('end', () => {
          finish(null);
        });
        response.on('error', finish);
        response.on('close', () => {
          if (!response.complete) finish(new Error('the watch connection closed before the stream ended'));
        });
      });
      request.end();
    });
  }

  /** Authenticates one request and finds (or builds) the pools for the current cluster and user. */
  private async prepare(): Promise<Prepared> {
    const kubeConfig = this.kubeConfig;
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no current cluster');
    const options: https.RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(options);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) headers[name] = String(value);
    }
    const key = JSON.stringify([cluster.name, kubeConfig.getCurrentUser()?.name ?? '']);
    const tls: https.AgentOptions = {};
    for (const field of tlsFields) {
      if (options[field] !== undefined) Object.assign(tls, { [field]: options[field] });
    }
    let endpoint = this.endpoints.get(key);
    if (endpoint === undefined || !sameTls(endpoint.tls, tls)) {
      const url = new URL(cluster.server);
      const secure = url.protocol === 'https:';
      const proxied = cluster.proxyUrl !== undefined && cluster.proxyUrl !== '';
      const pool = (maxSockets: number): http.Agent => {
        if (proxied && options.agent instanceof http.Agent) return options.agent;
        const agentOptions = {
          keepAlive: true,
          keepAliveMsecs: 30_000,
          maxSockets,
          maxFreeSockets: Math.min(maxSockets, 256),
          scheduling: 'lifo' as const,
          timeout: idleSocketMs,
        };
        return secure ? new https.Agent({ ...tls, ...agentOptions }) : new http.Agent(agentOptions);
      };
      endpoint = {
        tls,
        secure,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port,
        basePath: url.pathname.replace(/\/+$/, ''),
        requests: pool(maxRequestSockets),
        watches: pool(Infinity),
      };
      this.endpoints.set(key, endpoint);
    }
    return { endpoint, headers, auth: options.auth ?? undefined };
  }

  private send(
    prepared: Prepared,
    method: KubeHttpMethod,
    path: string,
    payload: string | undefined,
    signal: AbortSignal,
  ): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const request = this.open(prepared, method, path, payload, signal, prepared.endpoint.requests);
      request.on('error', (error: Error) => {
        reject(Object.assign(error, { reusedSocket: request.reusedSocket }));
      });
      request.on('response', (response) => {
        response.setEncoding('utf8');
        let text = '';
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('error', reject);
        response.on('end', () => {
          const code = response.statusCode ?? 0;
          if (code < 200 || code > 299) {
            reject(apiException(response, text));
            return;
          }
          try {
            resolve(text === '' ? undefined : JSON.parse(text));
          } catch (error: unknown) {
            reject(
              new Error(`the API server answered ${method} ${path} with invalid JSON`, { cause: error }),
            );
          }
        });
      });
      request.end(payload);
    });
  }

  private open(
    prepared: Prepared,
    method: KubeHttpMethod,
    path: string,
    payload: string | undefined,
    signal: AbortSignal | undefined,
    agent: http.Agent,
  ): http.ClientRequest {
    const { endpoint } = prepared;
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': userAgent,
      ...prepared.headers,
    };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const options: https.RequestOptions = {
      hostname: endpoint.hostname,
      port: endpoint.port,
      path: endpoint.basePath + path,
      method,
      headers,
      agent,
    };
    if (signal !== undefined) options.signal = signal;
    if (prepared.auth !== undefined) options.auth = prepared.auth;
    return endpoint.secure ? https.request(options) : http.request(options);
  }
}

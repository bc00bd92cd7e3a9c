import { STATUS_CODES } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type * as https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { ApiException, HttpMethod, RequestContext } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';
import { LeaderElectionError } from '../leader-election-error.js';
import { assertHeaderSafe, Http1Pool } from './http1-pool.js';
import type { Exchange, ResponseSink } from './http1-pool.js';

/** The methods the locks use. */
export type KubeHttpMethod = 'GET' | 'POST' | 'PUT';

/** Watch callbacks, as client-node's `Watch.watch` takes them. */
export type WatchCallback = (type: string, object: unknown, event: unknown) => void;
export type WatchDone = (error: unknown) => void;

/** How long a watch may go without data (or without an answer) before it ends; as client-node 2.0.1. */
const watchInactivityMs = 30_000;
/** Idle keep-alive connections close after this long. */
const idleSocketMs = 30_000;
const userAgent = 'kubekit-leaderelection';
/**
 * How long one authentication (`applyToHTTPSOptions`: decoding certificates, reading token files,
 * asking exec plugins) serves further requests. At 500 renews a second it was a tenth of all
 * allocation. A 401 drops it at once (and the request is sent once more, freshly authenticated).
 */
const authReuseMs = 1_000;
/**
 * How long one authentication may take (an exec plugin that asks a cloud for a token) before the
 * requests waiting for it fail and the next request starts another. Each request also stops waiting
 * when its own signal aborts.
 */
const defaultAuthTimeoutMs = 5_000;

/** Options of {@link KubeHttpClient.for}. */
export interface KubeHttpClientOptions {
  /** How long one authentication may take, in ms. Default 5 s. */
  readonly authTimeoutMs?: number;
}

/** TLS material and connection pools for one cluster and user. */
interface Endpoint {
  /** The TLS options the pools were built with; when authentication yields others, new pools are built. */
  readonly tls: Readonly<https.AgentOptions>;
  /** E.g. `https://10.0.0.1:6443`. */
  readonly origin: string;
  /** The server URL's path (without a trailing slash), prefixed to every request path. */
  readonly basePath: string;
  /** Direct connections (no proxy): the package's own HTTP/1.1 pool, for requests and watches. */
  readonly pool: Http1Pool | undefined;
  /** Through a proxy: client-node's dispatcher for it. */
  readonly proxy: Dispatcher | undefined;
}

/** What one request needs: resolved afresh at most every `authReuseMs` (tokens rotate). */
interface Prepared {
  readonly endpoint: Endpoint;
  readonly headers: Record<string, string>;
  /** `headers` as header lines, for the pool. */
  readonly headerBlock: string;
  /** `headerBlock` with `Content-Type: application/json`, for requests with a body. */
  readonly jsonHeaderBlock: string;
  /** When it was resolved (`performance.now()`). */
  readonly at: number;
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

function headersOf(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function apiException(
  statusCode: number,
  headers: IncomingHttpHeaders,
  statusMessage: string | undefined,
  body: string,
): ApiException<string> {
  const message =
    statusMessage !== undefined && statusMessage !== '' ? statusMessage : STATUS_CODES[statusCode];
  return new ApiException<string>(statusCode, message ?? 'error', body, headersOf(headers));
}

function statusCodeOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** A connection that broke before any answer came: the request may be sent once more. */
function isBrokenConnection(error: unknown): boolean {
  const { code, answered } = (error ?? {}) as { code?: unknown; answered?: unknown };
  return (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') && answered !== true;
}

class AbortError extends Error {
  override readonly name = 'AbortError';
}

/** `work`, or an `AbortError` as soon as `signal` aborts (`work` is still observed: no unhandled rejection). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(new AbortError('the request was aborted', { cause: signal.reason }));
    };
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

const clients = new WeakMap<KubeConfig, KubeHttpClient>();

/**
 * A lean HTTP client for the lock objects' hot path (one conditional PUT per elector per
 * retryPeriod, one watch per follower): the package's own keep-alive HTTP/1.1 connections
 * ({@link Http1Pool}; no fetch, no streams, no generated API layer), pooled per cluster and user,
 * JSON bodies. client-node still does what it is good at: requests are authenticated with
 * `kubeConfig.applyToHTTPSOptions` (bearer tokens, token files, exec and auth-provider plugins,
 * basic auth, impersonation) afresh at least every second and at once after a 401, so rotating
 * credentials keep working; one authentication at a time serves every request that waits for it,
 * each request waits for it at most until its own signal aborts, and one that has not finished
 * within `authTimeoutMs` (a hung plugin) fails with a `LeaderElectionError` of kind `timeout`; a
 * failed authentication is not kept: the next request tries again; TLS material is kept with the pool, and a new pool is built when it
 * changes (e.g. an exec plugin's rotated client certificate). Through a proxy (`proxyUrl`) it
 * uses undici's dispatcher API with the dispatcher client-node builds for the proxy, once.
 * Failures are what client-node's generated API throws: an HTTP error is an
 * `ApiException(code, message, body, headers)` whose body is the server's Status as a string; a
 * network failure is the connection's error (no numeric code); an aborted request rejects with an
 * `AbortError` once its signal aborts.
 *
 * Use {@link KubeHttpClient.for}: one client per KubeConfig, so all locks built from the same
 * KubeConfig share connections. Idle connections close after 30 s.
 */
export class KubeHttpClient {
  private readonly endpoints = new Map<string, Endpoint>();
  /** The last authentication, reused while under `authReuseMs` old. */
  private reused: Prepared | undefined;
  /** The authentication under way, if any. */
  private authenticating: Promise<Prepared> | undefined;
  private readonly authTimeoutMs: number;

  private constructor(
    private readonly kubeConfig: KubeConfig,
    options: KubeHttpClientOptions,
  ) {
    this.authTimeoutMs = options.authTimeoutMs ?? defaultAuthTimeoutMs;
  }

  /**
   * The client of `kubeConfig` (the same one for the same object). `options` apply only when this
   * call creates the client.
   */
  static for(kubeConfig: KubeConfig, options: KubeHttpClientOptions = {}): KubeHttpClient {
    let client = clients.get(kubeConfig);
    if (client === undefined) {
      client = new KubeHttpClient(kubeConfig, options);
      clients.set(kubeConfig, client);
    }
    return client;
  }

  /**
   * Sends one request with a JSON body (if any) and resolves with the parsed JSON answer of a 2xx
   * response. Rejects with `ApiException` for any other status, with the connection's error when
   * it fails (a request whose connection broke before any answer is sent once more, on a new
   * one: the locks' writes are compare-and-swaps, so a repeat that already landed is a 409; so is
   * one answered 401, freshly authenticated), and with an `AbortError` (cause: the signal's
   * reason) as soon as `signal` aborts.
   * @param path the request path with its query, e.g. `/apis/coordination.k8s.io/v1/namespaces/ns/leases/x`.
   */
  async request(method: KubeHttpMethod, path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    let prepared = await this.prepare(signal);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let resent = false;
    for (;;) {
      try {
        return await this.send(prepared, method, path, payload, signal);
      } catch (error: unknown) {
        if (signal.aborted || resent) throw error;
        if (statusCodeOf(error) === 401) {
          // Perhaps the credentials rotated since the authentication we reused: once more, afresh.
          this.forget(prepared);
          prepared = await this.prepare(signal);
        } else if (!isBrokenConnection(error)) {
          throw error;
        }
        resent = true;
      }
    }
  }

  /**
   * Watches `path` with `watch=true` and `query`, with the contract of client-node 2.0.1's
   * `Watch.watch`: resolves with a controller (abort it to stop) once the server answered 200 or
   * the watch failed; `callback` gets each newline-delimited event (unparseable lines are
   * skipped); `done` is called exactly once: `null` when the server ends the stream, a
   * `TimeoutError` `DOMException` after 30 s without data (or without an answer), an
   * `ApiException` for a non-200 answer, the connection's error when it breaks, the abort reason
   * when the controller aborts, the authentication's error when it fails or times out.
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
      prepared = await this.prepare(undefined);
    } catch (error: unknown) {
      done(error);
      return controller;
    }
    return new Promise<AbortController>((resolve) => {
      let finished = false;
      let timedOut = false;
      let text = '';
      const decoder = new StringDecoder('utf8');
      let status = 0;
      let failure: { headers: IncomingHttpHeaders; message: string | undefined } | undefined;
      // Unset while the exchange is being created (and for good when creating it threw).
      let exchange: Exchange | undefined;
      const finish = (error: unknown): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        controller.signal.removeEventListener('abort', onAbort);
        if (error !== null) exchange?.abort(error instanceof Error ? error : new AbortError('watch ended'));
        resolve(controller);
        done(timedOut ? new DOMException('The operation was aborted due to timeout', 'TimeoutError') : error);
      };
      /** Read afresh (callbacks may finish the watch). */
      const ended = (): boolean => finished;
      const onAbort = (): void => {
        finish(controller.signal.reason);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        finish(undefined);
      }, watchInactivityMs);
      timer.unref();
      controller.signal.addEventListener('abort', onAbort, { once: true });
      const sink: ResponseSink = {
        start: (statusCode, headers, statusMessage) => {
          status = statusCode;
          if (statusCode !== 200) {
            failure = { headers, message: statusMessage };
            return;
          }
          timer.refresh();
          resolve(controller);
        },
        data: (chunk) => {
          if (ended()) return;
          // A character's bytes may straddle two chunks: decode across them.
          text += decoder.write(chunk);
          if (failure !== undefined) return;
          timer.refresh();
          let newline = text.indexOf('\n');
          while (newline >= 0 && !ended()) {
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
        },
        end: () => {
          if (status === 401) this.forget(prepared);
          finish(failure === undefined ? null : apiException(status, failure.headers, failure.message, text));
        },
        error: finish,
      };
      try {
        exchange = this.exchange(prepared, 'GET', `${path}?${search}`, undefined, true, sink);
      } catch (error: unknown) {
        // E.g. TLS refused a malformed client key before connecting: the watch ends here, and its
        // inactivity timer with it.
        finish(error);
      }
    });
  }

  /**
   * The authentication and pools for the next request: the last ones while under `authReuseMs`
   * old, else afresh (once for all the requests that ask meanwhile, at most `authTimeoutMs`).
   * Rejects with an `AbortError` as soon as `signal` aborts.
   */
  private prepare(signal: AbortSignal | undefined): Promise<Prepared> {
    const reused = this.reused;
    if (reused !== undefined && performance.now() - reused.at < authReuseMs) {
      return Promise.resolve(reused);
    }
    return untilAborted((this.authenticating ??= this.authenticateInTime()), signal);
  }

  /** One authentication, bounded by `authTimeoutMs`; only its own outcome clears `authenticating`. */
  private authenticateInTime(): Promise<Prepared> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const user = this.kubeConfig.getCurrentUser()?.name ?? '(none)';
        reject(
          new LeaderElectionError(
            'timeout',
            `kubeconfig user ${user}: authentication did not finish within ${String(this.authTimeoutMs)} ms (is its exec or auth-provider plugin hung?); the next request tries again`,
          ),
        );
      }, this.authTimeoutMs);
    });
    const attempt: Promise<Prepared> = Promise.race([this.authenticate(), timeout]).then(
      (prepared) => {
        clearTimeout(timer);
        if (this.authenticating === attempt) {
          this.authenticating = undefined;
          this.reused = prepared;
        }
        return prepared;
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (this.authenticating === attempt) this.authenticating = undefined;
        throw error;
      },
    );
    return attempt;
  }

  /** Stops reusing `prepared` (the server refused its credentials). */
  private forget(prepared: Prepared): void {
    if (this.reused === prepared) this.reused = undefined;
  }

  /** Authenticates one request and finds (or builds) the pools for the current cluster and user. */
  private async authenticate(): Promise<Prepared> {
    const kubeConfig = this.kubeConfig;
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no current cluster');
    const options: https.RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(options);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': userAgent };
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) headers[name] = String(value);
    }
    if (typeof options.auth === 'string') {
      headers['Authorization'] = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    }
    const key = JSON.stringify([cluster.name, kubeConfig.getCurrentUser()?.name ?? '']);
    const tls: https.AgentOptions = {};
    for (const field of tlsFields) {
      if (options[field] !== undefined) Object.assign(tls, { [field]: options[field] });
    }
    let endpoint = this.endpoints.get(key);
    if (endpoint === undefined || !sameTls(endpoint.tls, tls)) {
      const url = new URL(cluster.server);
      let pool: Http1Pool | undefined;
      let proxy: Dispatcher | undefined;
      if (cluster.proxyUrl !== undefined && cluster.proxyUrl !== '') {
        // client-node knows every kind of proxy (HTTP, HTTPS, SOCKS): use its dispatcher, once.
        const context = new RequestContext(cluster.server, HttpMethod.GET);
        await kubeConfig.applySecurityAuthentication(context);
        proxy = context.getDispatcher();
        if (proxy === undefined)
          throw new Error(`cluster ${cluster.name}: no dispatcher for proxy ${cluster.proxyUrl}`);
      } else {
        const secure = url.protocol === 'https:';
        pool = new Http1Pool({
          host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
          tls: secure ? tls : undefined,
          idleTimeoutMs: idleSocketMs,
        });
      }
      endpoint = { tls, origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), pool, proxy };
      this.endpoints.set(key, endpoint);
    }
    let headerBlock = '';
    for (const [name, value] of Object.entries(headers)) {
      assertHeaderSafe(name, 'a request header name');
      assertHeaderSafe(value, `request header ${name}`);
      headerBlock += `${name}: ${value}\r\n`;
    }
    const jsonHeaderBlock = `${headerBlock}Content-Type: application/json\r\n`;
    return { endpoint, headers, headerBlock, jsonHeaderBlock, at: performance.now() };
  }

  private send(
    prepared: Prepared,
    method: KubeHttpMethod,
    path: string,
    payload: string | undefined,
    signal: AbortSignal,
  ): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      if (signal.aborted) {
        reject(new AbortError('the request was aborted', { cause: signal.reason }));
        return;
      }
      let status = 0;
      let answer: { headers: IncomingHttpHeaders; message: string | undefined } | undefined;
      const chunks: Buffer[] = [];
      // Unset while the exchange is being created (and for good when creating it threw).
      let exchange: Exchange | undefined;
      const onAbort = (): void => {
        const error = new AbortError('the request was aborted', { cause: signal.reason });
        exchange?.abort(error);
        reject(error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const sink: ResponseSink = {
        start: (statusCode, headers, statusMessage) => {
          status = statusCode;
          answer = { headers, message: statusMessage };
        },
        data: (chunk) => {
          chunks.push(chunk);
        },
        end: () => {
          signal.removeEventListener('abort', onAbort);
          const text =
            chunks.length === 1
              ? (chunks[0]?.toString('utf8') ?? '')
              : Buffer.concat(chunks).toString('utf8');
          if (status < 200 || status > 299) {
            reject(apiException(status, answer?.headers ?? {}, answer?.message, text));
            return;
          }
          try {
            resolve(text === '' ? undefined : JSON.parse(text));
          } catch (error: unknown) {
            reject(
              new Error(`the API server answered ${method} ${path} with invalid JSON`, { cause: error }),
            );
          }
        },
        error: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(answer === undefined ? error : Object.assign(error, { answered: true }));
        },
      };
      try {
        exchange = this.exchange(prepared, method, path, payload, false, sink);
      } catch (error: unknown) {
        // E.g. TLS refused a malformed client key before connecting.
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Dispatches one request to `dispatcher`; the returned handle aborts it (at once, or once it starts). */
  private exchange(
    prepared: Prepared,
    method: KubeHttpMethod,
    path: string,
    payload: string | undefined,
    watch: boolean,
    sink: ResponseSink,
  ): Exchange {
    const { endpoint } = prepared;
    if (endpoint.pool !== undefined) {
      const block = payload === undefined ? prepared.headerBlock : prepared.jsonHeaderBlock;
      return endpoint.pool.dispatch(method, endpoint.basePath + path, block, payload, sink);
    }
    const dispatcher = endpoint.proxy;
    if (dispatcher === undefined) throw new Error('an endpoint has neither connections nor a proxy');
    const headers =
      payload === undefined ? prepared.headers : { ...prepared.headers, 'Content-Type': 'application/json' };
    let control: Dispatcher.DispatchController | undefined;
    let aborted: Error | undefined;
    let settled = false;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (controller) => {
        control = controller;
        if (aborted !== undefined) controller.abort(aborted);
      },
      onResponseStart: (_controller, statusCode, responseHeaders, statusMessage) => {
        sink.start(statusCode, responseHeaders, statusMessage);
      },
      onResponseData: (_controller, chunk) => {
        sink.data(chunk);
      },
      onResponseEnd: () => {
        if (settled) return;
        settled = true;
        sink.end();
      },
      onResponseError: (_controller, error) => {
        if (settled) return;
        settled = true;
        sink.error(error);
      },
    };
    dispatcher.dispatch(
      {
        origin: endpoint.origin,
        path: endpoint.basePath + path,
        method,
        headers,
        body: payload ?? null,
        ...(watch ? { headersTimeout: 0, bodyTimeout: 0 } : {}),
      },
      handler,
    );
    return {
      abort: (reason) => {
        if (aborted !== undefined || settled) return;
        aborted = reason;
        control?.abort(reason);
      },
    };
  }
}

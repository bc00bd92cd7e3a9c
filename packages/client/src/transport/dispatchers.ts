import { Agent, EnvHttpProxyAgent, ProxyAgent } from 'undici';
import type { Dispatcher } from 'undici';
import { sameTls } from './authenticator.js';
import type { Credentials, TlsMaterial } from './authenticator.js';

/** Proxy settings from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, any case). */
export interface ProxyEnvironment {
  readonly httpsProxy: string;
  readonly httpProxy: string;
  readonly noProxy: string;
}

/** The first of `names` set to a non-empty value in `env`, else `''`. */
function firstSet(env: Readonly<Record<string, string | undefined>>, ...names: string[]): string {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return '';
}

/**
 * Reads the proxy variables of `env` as Go's `httpproxy.FromEnvironment` (which client-go's
 * transport uses): upper case first (`HTTPS_PROXY` before `https_proxy`), an empty variable as
 * unset.
 */
export function proxyEnvironment(env: Readonly<Record<string, string | undefined>>): ProxyEnvironment {
  return {
    httpsProxy: firstSet(env, 'HTTPS_PROXY', 'https_proxy'),
    httpProxy: firstSet(env, 'HTTP_PROXY', 'http_proxy'),
    noProxy: firstSet(env, 'NO_PROXY', 'no_proxy'),
  };
}

/** Options of {@link Dispatchers}. */
export interface DispatchersOptions {
  /** Negotiate HTTP/2 by ALPN when the server offers it. */
  readonly allowH2: boolean;
  readonly proxy: ProxyEnvironment;
  /** Idle keep-alive connections close after this long, in ms. */
  readonly keepAliveTimeoutMs: number;
  /**
   * The most connections per server for requests (not watches); undefined for no limit. Under
   * HTTP/1.1 a request needs a connection of its own, so many concurrent requests open many
   * connections; with a limit they wait for a free one instead. Watches then get connections of
   * their own (a watch holds its HTTP/1.1 connection for as long as it lasts: it must never wait).
   */
  readonly connections?: number | undefined;
}

/**
 * The most HTTP/2 streams (concurrent requests and watches) per connection from this side; the
 * server's `SETTINGS_MAX_CONCURRENT_STREAMS` lowers it. undici's own default is 100, so a burst of
 * more than 100 calls, or 100 watches and a few requests, opened a connection per 100 streams
 * where client-go (Go's HTTP/2 transport follows the server's setting) uses one: kube-apiserver
 * allows 1000 (`--http2-max-streams-per-connection`), as does envtest. Beyond the limit undici
 * opens one more connection, as Go does without `StrictMaxConcurrentStreams`.
 */
const maxConcurrentStreams = 1000;

interface Entry {
  /** The last credentials seen with this dispatcher: the same object needs no comparison. */
  credentials: Credentials;
  readonly tls: TlsMaterial;
  readonly proxyUrl: string | undefined;
  readonly dispatcher: Dispatcher;
  /** For watches: `dispatcher` itself unless requests are limited to `connections`. */
  readonly streams: Dispatcher;
}

/**
 * One undici dispatcher per cluster and user (and TLS material): an `Agent` that speaks HTTP/2
 * when the server offers it by ALPN and keep-alive HTTP/1.1 otherwise; a `ProxyAgent` for a
 * cluster's `proxy-url`; an `EnvHttpProxyAgent` when `HTTPS_PROXY`/`HTTP_PROXY` is set (which
 * honours `NO_PROXY`). When the TLS material changes (a rotated client certificate or CA), the
 * next request gets a new dispatcher and the old one is closed gracefully: requests in flight on
 * it (watches included) finish first.
 */
export class Dispatchers {
  private readonly entries = new Map<string, Entry>();
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: DispatchersOptions) {}

  /**
   * The dispatcher for `credentials` (for a watch when `streaming`): the existing one unless its
   * TLS material or proxy changed.
   */
  for(credentials: Credentials, streaming = false): Dispatcher {
    const entry = this.entries.get(credentials.key);
    if (entry?.credentials === credentials) return streaming ? entry.streams : entry.dispatcher;
    if (
      entry !== undefined &&
      entry.proxyUrl === credentials.proxyUrl &&
      sameTls(entry.tls, credentials.tls)
    ) {
      entry.credentials = credentials;
      return streaming ? entry.streams : entry.dispatcher;
    }
    const limited = this.options.connections !== undefined && credentials.proxyUrl === undefined;
    const dispatcher = this.build(credentials, limited ? this.options.connections : undefined);
    const streams = limited ? this.build(credentials, undefined) : dispatcher;
    this.entries.set(credentials.key, {
      credentials,
      tls: credentials.tls,
      proxyUrl: credentials.proxyUrl,
      dispatcher,
      streams,
    });
    if (entry !== undefined) {
      this.retire(entry.dispatcher);
      if (entry.streams !== entry.dispatcher) this.retire(entry.streams);
    }
    return streaming ? streams : dispatcher;
  }

  /** Open dispatchers, and old ones still finishing their requests after a TLS change. */
  stats(): { readonly dispatchers: number; readonly retiring: number } {
    return { dispatchers: this.entries.size, retiring: this.closing.size };
  }

  /**
   * Closes every dispatcher: waits for requests in flight when `graceful`, else destroys them
   * (requests in flight fail). Idempotent.
   */
  async close(graceful = true): Promise<void> {
    this.closed = true;
    const dispatchers = [...this.entries.values()].flatMap((entry) =>
      entry.streams === entry.dispatcher ? [entry.dispatcher] : [entry.dispatcher, entry.streams],
    );
    this.entries.clear();
    await Promise.all([...dispatchers.map((d) => (graceful ? d.close() : d.destroy())), ...this.closing]);
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  private retire(dispatcher: Dispatcher): void {
    const done = dispatcher.close().catch(() => undefined);
    this.closing.add(done);
    void done.then(() => this.closing.delete(done));
  }

  /** A dispatcher for `credentials`, with at most `connections` connections per server (none: no limit). */
  private build(credentials: Credentials, connections: number | undefined): Dispatcher {
    const { allowH2, proxy, keepAliveTimeoutMs } = this.options;
    const tls = { ...credentials.tls } as Record<string, unknown>;
    const connect = { ...tls, keepAlive: true, keepAliveInitialDelay: 30_000 };
    const common = {
      allowH2,
      h2Options: { maxConcurrentStreams },
      keepAliveTimeout: keepAliveTimeoutMs,
      connect,
      ...(connections === undefined ? {} : { connections }),
    };
    if (credentials.proxyUrl !== undefined) {
      // The proxy itself is reached with default TLS settings; `requestTls` is the API server's.
      return new ProxyAgent({
        allowH2,
        h2Options: { maxConcurrentStreams },
        keepAliveTimeout: keepAliveTimeoutMs,
        uri: credentials.proxyUrl,
        requestTls: tls,
      });
    }
    if (proxy.httpsProxy !== '' || proxy.httpProxy !== '') {
      return new EnvHttpProxyAgent({
        ...common,
        requestTls: tls,
        httpsProxy: proxy.httpsProxy,
        httpProxy: proxy.httpProxy,
        noProxy: proxy.noProxy,
      });
    }
    return new Agent(common);
  }
}

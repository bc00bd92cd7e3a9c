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

/** Reads the proxy variables of `env` (lower case first, as curl and Go's `httpproxy`). */
export function proxyEnvironment(env: Readonly<Record<string, string | undefined>>): ProxyEnvironment {
  return {
    httpsProxy: env['https_proxy'] ?? env['HTTPS_PROXY'] ?? '',
    httpProxy: env['http_proxy'] ?? env['HTTP_PROXY'] ?? '',
    noProxy: env['no_proxy'] ?? env['NO_PROXY'] ?? '',
  };
}

/** Options of {@link Dispatchers}. */
export interface DispatchersOptions {
  /** Negotiate HTTP/2 by ALPN when the server offers it. */
  readonly allowH2: boolean;
  readonly proxy: ProxyEnvironment;
  /** Idle keep-alive connections close after this long, in ms. */
  readonly keepAliveTimeoutMs: number;
}

interface Entry {
  /** The last credentials seen with this dispatcher: the same object needs no comparison. */
  credentials: Credentials;
  readonly tls: TlsMaterial;
  readonly proxyUrl: string | undefined;
  readonly dispatcher: Dispatcher;
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

  /** The dispatcher for `credentials`: the existing one unless its TLS material or proxy changed. */
  for(credentials: Credentials): Dispatcher {
    const entry = this.entries.get(credentials.key);
    if (entry?.credentials === credentials) return entry.dispatcher;
    if (
      entry !== undefined &&
      entry.proxyUrl === credentials.proxyUrl &&
      sameTls(entry.tls, credentials.tls)
    ) {
      entry.credentials = credentials;
      return entry.dispatcher;
    }
    const dispatcher = this.build(credentials);
    this.entries.set(credentials.key, {
      credentials,
      tls: credentials.tls,
      proxyUrl: credentials.proxyUrl,
      dispatcher,
    });
    if (entry !== undefined) this.retire(entry.dispatcher);
    return dispatcher;
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
    const dispatchers = [...this.entries.values()].map((entry) => entry.dispatcher);
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

  private build(credentials: Credentials): Dispatcher {
    const { allowH2, proxy, keepAliveTimeoutMs } = this.options;
    const tls = { ...credentials.tls } as Record<string, unknown>;
    const connect = { ...tls, keepAlive: true, keepAliveInitialDelay: 30_000 };
    const common = { allowH2, keepAliveTimeout: keepAliveTimeoutMs, connect };
    if (credentials.proxyUrl !== undefined) {
      // The proxy itself is reached with default TLS settings; `requestTls` is the API server's.
      return new ProxyAgent({
        allowH2,
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

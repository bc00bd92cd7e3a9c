import type { IncomingHttpHeaders } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { PeekBody } from './collect-response.js';
import type { RateLimit } from './token-bucket.js';

/** The HTTP methods of the Kubernetes API. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** Options of {@link Transport} (and of `createClient`). Every field but `kubeConfig` is optional. */
export interface TransportOptions {
  /** Where to connect and how to authenticate: its current context. */
  readonly kubeConfig: KubeConfig;
  /**
   * Client-side rate limit (a token bucket shared by every request of this client, watches
   * included). Default `{ qps: 20, burst: 30 }` as controller-runtime; `false` turns it off (as
   * leader election wants).
   */
  readonly rateLimit?: RateLimit | false;
  /** Default deadline of a request (not of a watch), in ms; 0 for none. Default 60000. */
  readonly requestTimeoutMs?: number;
  /** How long one authentication serves further requests, in ms. Default 1000. */
  readonly authCacheMs?: number;
  /** How long one authentication (e.g. an exec plugin) may take, in ms. Default 10000. */
  readonly authTimeoutMs?: number;
  /** How many times a request answered 429 (or 5xx with `Retry-After`, if idempotent) is sent again. Default 5. */
  readonly maxRetries?: number;
  /** The wait before a retry when the server sent no `Retry-After`, in ms. Default 1000. */
  readonly defaultRetryAfterMs?: number;
  /** The longest wait before a retry, whatever `Retry-After` says, in ms. Default 30000. */
  readonly maxRetryAfterMs?: number;
  /** Where the request metrics go: prom-client's global registry by default; `null` for none. */
  readonly metrics?: Registry | null;
  /** Negotiate HTTP/2 by ALPN when the server offers it. Default true. */
  readonly allowH2?: boolean;
  /** Where `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` are read from. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Idle keep-alive connections close after this long, in ms. Default 30000. */
  readonly keepAliveTimeoutMs?: number;
  /**
   * The most connections per server for requests; default no limit. Without HTTP/2 (which
   * multiplexes everything over one connection) every concurrent request needs a connection of its
   * own: with a limit, requests beyond it wait for a free connection instead of opening (and later
   * closing) more. Watches are not limited: they get connections of their own.
   */
  readonly connections?: number;
  /** Default `kubekit-client`. */
  readonly userAgent?: string;
  /** Time for the rate limiter, retry waits and the authentication cache. Default the system clock. */
  readonly clock?: Clock;
}

/** One request. */
export interface TransportRequest {
  readonly method: HttpMethod;
  /** Path and query relative to the server URL, e.g. `/api/v1/namespaces/x/pods?limit=5`. */
  readonly path: string;
  readonly body?: string | undefined;
  /** Content type of `body`. Default `application/json`. */
  readonly contentType?: string;
  /** Default `application/json`. */
  readonly accept?: string;
  /** Extra headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Aborting it fails the request at once with kind `aborted` (or `timeout` for a `TimeoutError` reason). */
  readonly signal?: AbortSignal | undefined;
  /** Deadline of this request in ms, overriding `requestTimeoutMs`; 0 for none. */
  readonly timeoutMs?: number | undefined;
  /**
   * May the request be sent again after its connection broke mid-way? Default: true for GET and
   * HEAD only. A request whose connection was provably never made is always sent again, once.
   */
  readonly idempotent?: boolean | undefined;
  /**
   * Called right before each attempt is sent: after the rate limiter's wait, authentication and a
   * retry's wait, which may have lasted long. A throw fails the request with that error, and that
   * attempt is not sent (e.g. a write fenced by a term of leadership that has ended meanwhile).
   */
  readonly beforeSend?: (() => void) | undefined;
  /**
   * Sees the start of a 2xx answer's body while the rest is still arriving (not for `stream`):
   * called with the text received so far after each chunk, until it returns true or the first
   * 64 KiB have been seen (a throw counts as true). Lets a caller act on the head of a large
   * answer, e.g. a List's `metadata`, which the API server writes before its items. A request sent
   * again (a retry) is peeked at again.
   */
  readonly peek?: PeekBody | undefined;
}

/** A whole answer. */
export interface TransportResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /**
   * True when this is the answer to a request sent again after an attempt that may have been
   * applied (its connection broke mid-way, or a 5xx; see `KubeClientError.resent`).
   */
  readonly resent: boolean;
}

/** A streamed 2xx answer (a watch). */
export interface TransportStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: AsyncIterable<Uint8Array> & { destroy(error?: Error): unknown };
}

/** Connection errors that prove the request never left: sending it again cannot repeat it. */
